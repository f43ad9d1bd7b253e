package io.fedge.aggregation.privacy;

/**
 * From an RDP curve (a value per order) to an (epsilon, delta) guarantee, minimizing over the
 * orders.
 *
 * <p>{@link #epsilon} is the conversion TensorFlow Privacy ({@code dp_accounting}'s
 * {@code compute_epsilon}) and Opacus ({@code get_privacy_spent}) use today: Balle, Barthe,
 * Gaboardi, Hsu and Sato, "Hypothesis Testing Interpretations and Rényi Differential Privacy"
 * (AISTATS 2020), Proposition 12 in arXiv:2004.00010v4 (also Canonne, Kamath and Steinke 2020,
 * equation 20):
 * <pre>  eps(alpha) = rdp(alpha) + log((alpha - 1) / alpha) - (log(delta) + log(alpha)) / (alpha - 1)</pre>
 * with {@code dp_accounting}'s guards: orders at or below 1.01 give no bound (the formula is
 * numerically unstable as alpha approaches 1, and of no use there); an order whose RDP {@code r}
 * has {@code delta^2 > 1 - exp(-r)} gives epsilon 0 (the bound through the KL divergence,
 * {@code delta <= sqrt(1 - exp(-KL))}, since {@code KL <= r}); an infinite order gives its RDP;
 * the minimum is clamped at 0. Opacus applies the formula without the first two guards; the
 * results differ only at orders in (1, 1.01] or when epsilon would be near 0.
 *
 * <p>{@link #epsilonClassic} is the original conversion, Mironov, "Rényi Differential Privacy"
 * (CSF 2017), Proposition 3: {@code eps(alpha) = rdp(alpha) + log(1/delta) / (alpha - 1)}. It is
 * never smaller than the improved one and is kept for comparison with older published figures.
 */
public final class RdpConversion {
    private static final double MIN_USEFUL_ORDER = 1.01;

    private RdpConversion() {
    }

    /**
     * The smallest epsilon over the orders by the improved conversion (see the class comment).
     * With {@code delta = 0}: epsilon 0 if every RDP is 0, otherwise infinite.
     *
     * @throws IllegalArgumentException if the arrays differ in length or are empty, an order is
     *     not above 1, an RDP value is negative or NaN, or delta is outside [0, 1]
     */
    public static PrivacySpent epsilon(double[] orders, double[] rdp, double delta) {
        check(orders, rdp, delta);
        if (delta == 0) {
            return nothingButZero(rdp);
        }
        double logDelta = Math.log(delta);
        double best = Double.POSITIVE_INFINITY;
        double bestOrder = Double.NaN;
        for (int k = 0; k < orders.length; k++) {
            double a = orders[k];
            double r = rdp[k];
            double eps;
            if (delta * delta + Math.expm1(-r) > 0) {
                eps = 0;
            } else if (r == Double.POSITIVE_INFINITY) {
                eps = Double.POSITIVE_INFINITY;
            } else if (a == Double.POSITIVE_INFINITY) {
                eps = r;
            } else if (a > MIN_USEFUL_ORDER) {
                eps = r + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
            } else {
                eps = Double.POSITIVE_INFINITY;
            }
            if (eps < best) {
                best = eps;
                bestOrder = a;
            }
        }
        return new PrivacySpent(Math.max(0, best), delta, bestOrder);
    }

    /**
     * The smallest epsilon over the orders by Mironov's Proposition 3,
     * {@code rdp(alpha) + log(1/delta) / (alpha - 1)} (an infinite order gives its RDP). With
     * {@code delta = 0}: epsilon 0 if every RDP is 0, otherwise infinite.
     *
     * @throws IllegalArgumentException as {@link #epsilon}
     */
    public static PrivacySpent epsilonClassic(double[] orders, double[] rdp, double delta) {
        check(orders, rdp, delta);
        if (delta == 0) {
            return nothingButZero(rdp);
        }
        double logInverseDelta = -Math.log(delta);
        double best = Double.POSITIVE_INFINITY;
        double bestOrder = Double.NaN;
        for (int k = 0; k < orders.length; k++) {
            double a = orders[k];
            double eps = a == Double.POSITIVE_INFINITY ? rdp[k] : rdp[k] + logInverseDelta / (a - 1);
            if (eps < best) {
                best = eps;
                bestOrder = a;
            }
        }
        return new PrivacySpent(Math.max(0, best), delta, bestOrder);
    }

    private static PrivacySpent nothingButZero(double[] rdp) {
        for (double r : rdp) {
            if (r != 0) {
                return new PrivacySpent(Double.POSITIVE_INFINITY, 0, Double.NaN);
            }
        }
        return new PrivacySpent(0, 0, Double.NaN);
    }

    private static void check(double[] orders, double[] rdp, double delta) {
        if (orders.length != rdp.length) {
            throw new IllegalArgumentException(
                    orders.length + " orders but " + rdp.length + " RDP values");
        }
        if (orders.length == 0) {
            throw new IllegalArgumentException("no orders");
        }
        if (!(delta >= 0 && delta <= 1)) {
            throw new IllegalArgumentException("delta must be in [0, 1]: " + delta);
        }
        for (int k = 0; k < orders.length; k++) {
            if (!(orders[k] > 1)) {
                throw new IllegalArgumentException("order " + k + " must be above 1: " + orders[k]);
            }
            if (!(rdp[k] >= 0)) {
                throw new IllegalArgumentException("RDP at order " + orders[k] + " must be non-negative: " + rdp[k]);
            }
        }
    }
}
