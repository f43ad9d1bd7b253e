package io.fedge.aggregation.privacy;

/**
 * The noise multiplier a DP-FedAvg run needs: the smallest sigma for which {@code rounds} rounds of
 * the sampled Gaussian mechanism at sampling rate {@code q} stay within a target (epsilon, delta),
 * found by bisection on {@link RdpAccountant} (epsilon falls as sigma grows).
 *
 * <p>The result {@code sigma} satisfies {@code epsilon(sigma) <= target} and
 * {@code epsilon(sigma * (1 - 1e-3)) > target}: it is within 0.1% above the exact threshold.
 */
public final class NoiseCalibration {
    /** The relative width the bisection stops at. */
    public static final double RELATIVE_TOLERANCE = 1e-3;
    /** The largest multiplier tried before a target is declared unreachable. */
    public static final double MAX_SIGMA = 1e6;

    private NoiseCalibration() {
    }

    /** {@link #noiseMultiplier(double, double, int, double, double[])} over the default orders. */
    public static double noiseMultiplier(double targetEpsilon, double delta, int rounds, double q) {
        return noiseMultiplier(targetEpsilon, delta, rounds, q, RdpAccountant.defaultOrders());
    }

    /**
     * The smallest noise multiplier, to {@value #RELATIVE_TOLERANCE} relative, whose epsilon after
     * {@code rounds} steps at sampling rate {@code q} is at most {@code targetEpsilon} at
     * {@code delta} (improved conversion).
     *
     * @throws IllegalArgumentException if the target is not positive and finite, delta is not in
     *     (0, 1), rounds is below 1, q is not in (0, 1], or no multiplier up to {@value #MAX_SIGMA}
     *     reaches the target (epsilon has a floor set by delta and the largest order)
     */
    public static double noiseMultiplier(double targetEpsilon, double delta, int rounds, double q, double[] orders) {
        if (!(targetEpsilon > 0) || targetEpsilon == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("target epsilon must be positive and finite: " + targetEpsilon);
        }
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("delta must be in (0, 1): " + delta);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1: " + rounds);
        }
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("sampling rate q must be in (0, 1]: " + q);
        }
        double lo = 0; // epsilon(0) is infinite
        double hi = 1;
        while (epsilon(hi, delta, rounds, q, orders) > targetEpsilon) {
            lo = hi;
            hi *= 2;
            if (hi > MAX_SIGMA) {
                throw new IllegalArgumentException("no noise multiplier up to " + MAX_SIGMA + " reaches epsilon "
                        + targetEpsilon + " at delta " + delta + " over " + rounds + " rounds at q = " + q);
            }
        }
        // Invariant: epsilon(lo) > target (or lo = 0), epsilon(hi) <= target.
        while (hi - lo > RELATIVE_TOLERANCE * hi) {
            double mid = 0.5 * (lo + hi);
            if (epsilon(mid, delta, rounds, q, orders) > targetEpsilon) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return hi;
    }

    private static double epsilon(double sigma, double delta, int rounds, double q, double[] orders) {
        RdpAccountant accountant = new RdpAccountant(orders);
        accountant.step(q, sigma, rounds);
        return accountant.epsilon(delta).epsilon();
    }
}
