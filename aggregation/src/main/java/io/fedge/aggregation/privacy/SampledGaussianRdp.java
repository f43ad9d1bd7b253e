package io.fedge.aggregation.privacy;

/**
 * The Rényi differential privacy of one step of the sampled Gaussian mechanism: each record (here,
 * each client) is included independently with probability {@code q}, the included contributions
 * are summed with L2 sensitivity 1, and {@code N(0, sigma^2)} noise is added per coordinate
 * ({@code sigma} is the noise multiplier, the noise stddev over the clipping bound).
 *
 * <p>From Mironov, Talwar and Zhang, "Rényi Differential Privacy of the Sampled Gaussian Mechanism"
 * (2019): at order {@code alpha} the RDP is {@code log(A_alpha) / (alpha - 1)} with
 * {@code A_alpha = E_{z ~ mu0} [((1 - q) + q mu1(z)/mu0(z))^alpha]}, {@code mu0 = N(0, sigma^2)},
 * {@code mu1 = N(1, sigma^2)}. This is the quantity TensorFlow Privacy's {@code rdp_accountant.py}
 * and Opacus's {@code analysis/rdp.py} compute, evaluated the same two ways (section 3.3 of the
 * paper):
 * <ul>
 *   <li>integer alpha: the binomial expansion
 *       {@code A = sum_{i=0..alpha} C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2))};
 *   <li>fractional alpha: the integral split at {@code z0 = sigma^2 log(1/q - 1) + 1/2}, where
 *       {@code q mu1 = (1 - q) mu0}, each half expanded in the generalized binomial series, whose
 *       terms carry {@code erfc} factors and, beyond {@code i = alpha + 1}, alternate in sign. The
 *       signs are honoured (as Opacus does; the current {@code dp_accounting} sums the magnitudes,
 *       an upper bound about 3% higher at alpha = 1.5 in its own test case).
 * </ul>
 * Both are summed in log space ({@link LogMath}). The fractional series is summed until its terms
 * are decreasing and each is below {@code 2^-55} of the running total or below {@code 1e-12} of
 * the running {@code log(A)}, whichever comes first; its tail alternates, so what is left is
 * smaller than the last term. Should that take more than {@value #MAX_SERIES_TERMS} terms (q near
 * 1/2 with large sigma at orders just above 1 is the slow corner: the terms then decay only like a
 * power of i; q = 0.5, sigma = 1e5, alpha = 1.1 reaches the limit, in about 0.3 s, while q = 0.5,
 * sigma = 20 over all the default orders takes about 0.15 s) the order is reported as infinite,
 * which excludes it from the epsilon minimum and keeps the bound valid, as {@code dp_accounting}
 * does for its own limit (1000 terms).
 *
 * <p>Accuracy: both expansions sum terms to {@code A}, which is at least 1, so {@code log(A)}
 * carries an absolute error of a few units of 1e-17 whatever its size; a tiny RDP (large sigma,
 * small q) is therefore known to about 1e-17 absolute rather than to full relative precision, as
 * in the Python implementations. Elsewhere the values agree with multi-precision integration to
 * about 1e-12 relative.
 */
public final class SampledGaussianRdp {
    /** Orders above this (other than +Infinity) are refused: the integer expansion has alpha + 1 terms. */
    public static final double MAX_ORDER = 100_000;
    static final int MAX_SERIES_TERMS = 1_000_000;
    /** A term below 2^-55 of the total cannot change a double sum of magnitude >= 1. */
    private static final double LOG_ABSOLUTE_TOLERANCE = -55 * Math.log(2);
    private static final double LOG_RELATIVE_TOLERANCE = Math.log(1e-12);
    private static final double LOG_HALF = Math.log(0.5);
    private static final double SQRT2 = Math.sqrt(2);

    private SampledGaussianRdp() {
    }

    /**
     * The RDP at order {@code alpha} of one step with sampling rate {@code q} and noise multiplier
     * {@code sigma}: 0 when {@code q = 0} or {@code sigma} is infinite; infinite when
     * {@code sigma = 0} (and {@code q > 0}) or {@code alpha} is infinite (and {@code q > 0},
     * {@code sigma} finite); {@code alpha / (2 sigma^2)} when {@code q = 1}; otherwise the series
     * above. Never negative (a logarithm of A a rounding error below 0 reads as 0).
     *
     * @throws IllegalArgumentException if q is outside [0, 1], sigma is negative or NaN, or alpha
     *     is not in (1, {@value #MAX_ORDER}] or +Infinity
     */
    public static double rdp(double q, double sigma, double alpha) {
        checkArguments(q, sigma, alpha);
        if (q == 0 || sigma == Double.POSITIVE_INFINITY) {
            return 0;
        }
        if (sigma == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double sigma2 = sigma * sigma;
        if (q == 1) {
            return alpha / (2 * sigma2);
        }
        if (alpha == Double.POSITIVE_INFINITY || sigma2 == 0) {
            return Double.POSITIVE_INFINITY; // sigma so small its square underflows: no privacy left
        }
        if (sigma2 == Double.POSITIVE_INFINITY) {
            return 0; // sigma above 1e154: the RDP (about q^2 alpha / sigma^2) underflows
        }
        double logA = isInteger(alpha) ? logAInteger(q, sigma, (int) alpha) : logAFractional(q, sigma, alpha);
        return Math.max(0, logA / (alpha - 1));
    }

    static void checkArguments(double q, double sigma, double alpha) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("sampling rate q must be in [0, 1]: " + q);
        }
        if (!(sigma >= 0)) {
            throw new IllegalArgumentException("noise multiplier sigma must be non-negative: " + sigma);
        }
        checkOrder(alpha);
    }

    static void checkOrder(double alpha) {
        if (!(alpha > 1) || (alpha > MAX_ORDER && alpha != Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(
                    "RDP order must be in (1, " + MAX_ORDER + "] or +Infinity: " + alpha);
        }
    }

    private static boolean isInteger(double alpha) {
        return alpha == Math.rint(alpha);
    }

    /** log(A_alpha) for integer alpha >= 2 and 0 < q < 1, by the finite binomial expansion. */
    static double logAInteger(double q, double sigma, int alpha) {
        double logQ = Math.log(q);
        double log1mQ = Math.log1p(-q);
        double twoSigma2 = 2 * sigma * sigma;
        double logA = Double.NEGATIVE_INFINITY;
        double logBinom = 0; // log C(alpha, 0)
        for (int i = 0; i <= alpha; i++) {
            if (i > 0) {
                logBinom += Math.log((double) (alpha - i + 1) / i);
            }
            double term = logBinom + i * logQ + (alpha - i) * log1mQ + ((double) i * i - i) / twoSigma2;
            logA = LogMath.logAdd(logA, term);
        }
        return logA;
    }

    /**
     * log(A_alpha) for any alpha > 1 and 0 < q < 1 by the two-series expansion (integer alpha too,
     * where the coefficients vanish past i = alpha and the result equals {@link #logAInteger}).
     * {@code +Infinity} if it does not converge within {@value #MAX_SERIES_TERMS} terms.
     */
    static double logAFractional(double q, double sigma, double alpha) {
        double logQ = Math.log(q);
        double log1mQ = Math.log1p(-q);
        double sigma2 = sigma * sigma;
        double z0 = sigma2 * (log1mQ - logQ) + 0.5;
        double sqrt2Sigma = SQRT2 * sigma;
        LogMath.SignedLogSum a0 = new LogMath.SignedLogSum();
        LogMath.SignedLogSum a1 = new LogMath.SignedLogSum();
        double logBinom = 0; // log |C(alpha, i)|
        int sign = 1;        // sign of C(alpha, i)
        double last0 = Double.POSITIVE_INFINITY;
        double last1 = Double.POSITIVE_INFINITY;
        for (int i = 0; i < MAX_SERIES_TERMS; i++) {
            if (i > 0) {
                double factor = alpha - i + 1; // C(alpha, i) = C(alpha, i - 1) (alpha - i + 1) / i
                logBinom += Math.log(Math.abs(factor)) - Math.log(i);
                if (factor < 0) {
                    sign = -sign;
                }
            }
            double j = alpha - i;
            double t0 = logBinom + i * logQ + j * log1mQ + ((double) i * i - i) / (2 * sigma2)
                    + LOG_HALF + LogMath.logErfc((i - z0) / sqrt2Sigma);
            double t1 = logBinom + j * logQ + i * log1mQ + (j * j - j) / (2 * sigma2)
                    + LOG_HALF + LogMath.logErfc((z0 - j) / sqrt2Sigma);
            a0.add(sign, t0);
            a1.add(sign, t1);
            if (i > alpha + 1 && t0 <= last0 && t1 <= last1) {
                double total = total(a0, a1);
                double largest = Math.max(t0, t1);
                if (Double.isNaN(total)) {
                    if (largest == Double.NEGATIVE_INFINITY) {
                        return Double.POSITIVE_INFINITY; // rounding left no usable sum: exclude the order
                    }
                } else if (largest == Double.NEGATIVE_INFINITY
                        || largest < total + LOG_ABSOLUTE_TOLERANCE
                        || (total > 0 && largest < Math.log(total) + LOG_RELATIVE_TOLERANCE)) {
                    return total;
                }
            }
            last0 = t0;
            last1 = t1;
        }
        return Double.POSITIVE_INFINITY;
    }

    /** log(a0 + a1), both halves being positive integrals (NaN should rounding make the sum non-positive). */
    private static double total(LogMath.SignedLogSum a0, LogMath.SignedLogSum a1) {
        LogMath.SignedLogSum sum = new LogMath.SignedLogSum();
        sum.add(a0.sign(), a0.logMagnitude());
        sum.add(a1.sign(), a1.logMagnitude());
        return sum.sign() > 0 ? sum.logMagnitude() : Double.NaN;
    }
}
