package io.fedge.coordinator;

import java.util.HashMap;
import java.util.Map;

/**
 * Keeps clients that missed a round's deadline while connected (hung, or too slow), or stalled an
 * admitted upload until its progress deadline, out of the next rounds, so that a silent device is not selected again and again while the federation
 * makes no progress. A client that misses its {@code k}-th deadline in a row sits out
 * {@code min(2^(k-1), 16)} rounds, and after that it is selected again only once it has sent a
 * frame since its last miss (a heartbeat counts: its connection is alive, and the sitting-out
 * already spaced its chances). Delivering an accepted update clears its record.
 *
 * <p>Thread-safe: event loops report frames, the round thread asks and records.
 */
final class ClientHealth {
    private static final int MAX_SIT_OUT = 16;

    private static final class Record {
        int misses;
        long eligibleFromRound;
        boolean seenSinceMiss;
    }

    private final Map<String, Record> records = new HashMap<>();

    /** The client sent a frame. */
    synchronized void alive(String clientId) {
        Record r = records.get(clientId);
        if (r != null) {
            r.seenSinceMiss = true;
        }
    }

    /** The client was selected for {@code round} and delivered nothing before its deadline. */
    synchronized void missedDeadline(String clientId, long round) {
        Record r = records.computeIfAbsent(clientId, k -> new Record());
        r.misses++;
        r.seenSinceMiss = false;
        r.eligibleFromRound = round + 1 + Math.min(1L << Math.min(r.misses - 1, 30), MAX_SIT_OUT);
    }

    /** The client's update was accepted. */
    synchronized void delivered(String clientId) {
        records.remove(clientId);
    }

    /** Whether the client may be selected for {@code round}. */
    synchronized boolean eligible(String clientId, long round) {
        Record r = records.get(clientId);
        return r == null || (round >= r.eligibleFromRound && r.seenSinceMiss);
    }

    /** Why the client is not eligible for {@code round}, for the log. */
    synchronized String whyNot(String clientId, long round) {
        Record r = records.get(clientId);
        if (r == null) {
            return "eligible";
        }
        return round < r.eligibleFromRound
                ? "missed " + r.misses + " deadline(s) in a row; sits out until round " + r.eligibleFromRound
                : "missed its last deadline and has sent nothing since";
    }
}
