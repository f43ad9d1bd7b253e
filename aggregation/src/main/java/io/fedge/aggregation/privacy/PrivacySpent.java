package io.fedge.aggregation.privacy;

/**
 * An (epsilon, delta) differential-privacy guarantee and the RDP order it was read off.
 *
 * @param epsilon the epsilon, non-negative; {@code +Infinity} when no finite bound holds
 * @param delta the delta it holds for, in [0, 1]
 * @param order the Rényi order whose bound was smallest; {@code NaN} when epsilon is infinite or
 *     did not depend on an order (delta = 0 with nothing spent)
 */
public record PrivacySpent(double epsilon, double delta, double order) {
    public PrivacySpent {
        if (!(epsilon >= 0)) {
            throw new IllegalArgumentException("epsilon must be non-negative: " + epsilon);
        }
        if (!(delta >= 0 && delta <= 1)) {
            throw new IllegalArgumentException("delta must be in [0, 1]: " + delta);
        }
        if (!Double.isNaN(order) && !(order > 1)) {
            throw new IllegalArgumentException("order must be above 1 or NaN: " + order);
        }
    }
}
