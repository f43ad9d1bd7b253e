package io.fedge.coordinator;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every round's record, in order: what reports, tables and plots are drawn from. Thread-safe.
 */
public final class History {
    private final List<RoundRecord> rounds = new ArrayList<>();

    /** Appends a round. */
    public synchronized void add(RoundRecord record) {
        rounds.add(record);
    }

    /** A snapshot of the rounds so far. */
    public synchronized List<RoundRecord> rounds() {
        return List.copyOf(rounds);
    }

    /** The most recent round, if any. */
    public synchronized Optional<RoundRecord> last() {
        return rounds.isEmpty() ? Optional.empty() : Optional.of(rounds.get(rounds.size() - 1));
    }

    /** The number of rounds recorded. */
    public synchronized int size() {
        return rounds.size();
    }
}
