package io.fedge.aggregation.robust;

import java.util.Optional;

/**
 * How a robust strategy turns all of a round's updates, held in an {@link UpdateStore}, into the
 * next parameters: {@link CoordinateMedian}, {@link TrimmedMean}, {@link Krum} (and Multi-Krum),
 * {@link Bulyan}.
 */
public interface RobustRule {
    /**
     * Why the rule cannot aggregate {@code n} updates (too few for the number of Byzantine updates
     * it tolerates), in one line; empty when it can. The aggregation then keeps the model rather
     * than guess.
     */
    Optional<String> refusal(int n);

    /**
     * {@code base} plus the rule's aggregate of {@code updates}, as a new array: the next
     * parameters when the updates are deltas from {@code base}.
     *
     * @throws IllegalArgumentException if {@link #refusal} refuses {@code updates.size()}, or
     *         {@code base} is not as long as the updates
     */
    float[] aggregate(Updates updates, float[] base);
}
