package io.fedge.aggregation.privacy;

/**
 * Arithmetic on numbers held as their natural logarithms, and {@code log(erfc(x))}: what the
 * sampled-Gaussian RDP series need to add terms that span hundreds of orders of magnitude without
 * overflowing. Zero is {@code -Infinity}.
 *
 * <p>The JDK has no {@code erfc}, so {@link #logErfc} evaluates it here from the incomplete gamma
 * function, {@code erfc(x) = Q(1/2, x^2)}: the power series of {@code P(1/2, x^2)} where
 * {@code x^2 < 3/2}, the continued fraction of {@code Q(1/2, x^2)} (modified Lentz) beyond, the
 * split Numerical Recipes (2nd ed., section 6.2) recommends because each converges fast on its side.
 * The continued fraction is evaluated with {@code exp(-x^2)} factored out, so the logarithm stays
 * accurate where {@code erfc(x)} itself underflows (x above about 27).
 */
final class LogMath {
    private static final double LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
    private static final double LN2 = Math.log(2);
    /** Below x^2 = a + 1 = 3/2 the series of P(1/2, x^2); above, the continued fraction of Q(1/2, x^2). */
    private static final double SERIES_LIMIT_SQUARED = 1.5;
    private static final double EPS = 0x1p-53;
    private static final double TINY = 1e-300;
    private static final int MAX_ITERATIONS = 10_000;
    /** Beyond this, x^2 overflows; log(erfc(x)) is below -1.7e308 and reads as -Infinity. */
    private static final double HUGE = 1e154;

    private LogMath() {
    }

    /** {@code log(exp(logX) + exp(logY))}. */
    static double logAdd(double logX, double logY) {
        double a = Math.min(logX, logY);
        double b = Math.max(logX, logY);
        if (a == Double.NEGATIVE_INFINITY) {
            return b;
        }
        if (b == Double.POSITIVE_INFINITY) {
            return b;
        }
        return b + Math.log1p(Math.exp(a - b));
    }

    /**
     * {@code log(exp(logX) - exp(logY))} for {@code logX >= logY}.
     *
     * @throws IllegalArgumentException if {@code logX < logY} (the difference would be negative)
     */
    static double logSub(double logX, double logY) {
        if (logX < logY) {
            throw new IllegalArgumentException("log-space subtraction would be negative: " + logX + " < " + logY);
        }
        if (logY == Double.NEGATIVE_INFINITY) {
            return logX;
        }
        if (logX == logY) {
            return Double.NEGATIVE_INFINITY;
        }
        double d = logY - logX; // < 0
        // log(1 - e^d): log(-expm1(d)) is accurate near d = 0, log1p(-e^d) far from it.
        return logX + (d > -LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d)));
    }

    /**
     * {@code log(erfc(x))} for any x, to within about 1e-15 of {@code max(1, |log(erfc(x))|)} (at
     * most 7 ulps off mpmath at the points {@code LogMathTest} checks, the worst near x = 1 where
     * {@code log1p(-erf(x))} magnifies the series' rounding).
     */
    static double logErfc(double x) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        if (x >= 0) {
            if (x * x < SERIES_LIMIT_SQUARED) {
                return Math.log1p(-erfSeries(x)); // erfc(x) >= 0.08 here: no cancellation to speak of
            }
            if (x > HUGE) {
                return Double.NEGATIVE_INFINITY;
            }
            return logErfcContinuedFraction(x);
        }
        double y = -x; // erfc(x) = 2 - erfc(y) = 1 + erf(y), between 1 and 2
        if (y * y < SERIES_LIMIT_SQUARED) {
            return Math.log1p(erfSeries(y));
        }
        if (y > HUGE) {
            return LN2;
        }
        return LN2 + Math.log1p(-0.5 * Math.exp(logErfcContinuedFraction(y)));
    }

    /**
     * erf(x) for {@code 0 <= x}, {@code x^2 < 3/2}: {@code P(1/2, X) = e^-X X^(1/2) / Gamma(1/2) *
     * sum_n X^n / ((1/2)(3/2)...(1/2 + n))} with {@code X = x^2}; every term is positive.
     */
    private static double erfSeries(double x) {
        double bigX = x * x;
        double ap = 0.5;
        double term = 1 / ap;
        double sum = term;
        for (int n = 0; n < MAX_ITERATIONS; n++) {
            ap += 1;
            term *= bigX / ap;
            sum += term;
            if (term < sum * EPS) {
                break;
            }
        }
        return sum * Math.exp(-bigX - LOG_SQRT_PI) * x;
    }

    /**
     * log(erfc(x)) for {@code x^2 >= 3/2} from the continued fraction of the upper incomplete gamma
     * function, {@code Gamma(1/2, X) = e^-X X^(1/2) (1/(X + 1/2 -) (1 * 1/2)/(X + 5/2 -) (2 * 3/2)/(X + 9/2 -) ...)},
     * evaluated by the modified Lentz method; {@code erfc(x) = Gamma(1/2, x^2) / sqrt(pi)}.
     */
    private static double logErfcContinuedFraction(double x) {
        double bigX = x * x;
        double a = 0.5;
        double b = bigX + 1 - a;
        double c = 1 / TINY;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < MAX_ITERATIONS; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < TINY) {
                d = TINY;
            }
            c = b + an / c;
            if (Math.abs(c) < TINY) {
                c = TINY;
            }
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < EPS) {
                break;
            }
        }
        return -bigX + Math.log(x * h) - LOG_SQRT_PI;
    }

    /**
     * A sum of signed terms given by sign and log-magnitude, kept the same way: the alternating
     * tails of the fractional-order RDP series need subtraction as well as addition.
     */
    static final class SignedLogSum {
        private double log = Double.NEGATIVE_INFINITY;
        private int sign = 1;

        /** Adds {@code sign * exp(logMagnitude)}; sign is +1 or -1. */
        void add(int termSign, double logMagnitude) {
            if (logMagnitude == Double.NEGATIVE_INFINITY) {
                return;
            }
            if (log == Double.NEGATIVE_INFINITY) {
                log = logMagnitude;
                sign = termSign;
            } else if (termSign == sign) {
                log = logAdd(log, logMagnitude);
            } else if (logMagnitude > log) {
                log = logSub(logMagnitude, log);
                sign = termSign;
            } else {
                log = logSub(log, logMagnitude);
                if (log == Double.NEGATIVE_INFINITY) {
                    sign = 1;
                }
            }
        }

        /** The log of the magnitude of the sum ({@code -Infinity} for zero). */
        double logMagnitude() {
            return log;
        }

        /** +1 or -1 (+1 for zero). */
        int sign() {
            return sign;
        }
    }
}
