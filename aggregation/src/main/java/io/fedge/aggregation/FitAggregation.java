package io.fedge.aggregation;

import java.util.List;
import java.util.Optional;

/**
 * The aggregation of one training round, fed one accepted update at a time. The coordinator
 * calls it from a single thread: {@link #accept} for each verified update, then {@link #finish}
 * once. Implementations need not be thread-safe.
 */
public interface FitAggregation extends AutoCloseable {
    /**
     * Folds in one client's update, given as the difference between its locally trained
     * parameters and the round's global parameters.
     */
    void accept(FitResult result, UpdateChunks delta);

    /** How many updates were accepted so far. */
    int accepted();

    /**
     * The next global parameters, or empty to keep the current model (no usable results).
     *
     * @param failures the selected clients that produced no result, for strategies that care
     */
    Optional<float[]> finish(List<Failure> failures);

    /**
     * Releases what the aggregation holds outside the heap (a spill file) when the round ends
     * without {@link #finish} or after it; idempotent. The coordinator calls it when the round is
     * over, however it ended. Nothing by default.
     */
    @Override
    default void close() {
    }
}
