package io.fedge.coordinator;

import org.apache.commons.math3.distribution.TDistribution;

import java.util.Locale;

/**
 * A paired comparison of two model versions evaluated by the same clients on their own data:
 * each client's accuracy of version B minus its accuracy of version A is one observation; the
 * mean difference gets a Student-t confidence interval (n - 1 degrees of freedom). B is better
 * when the whole interval is above 0, A when it is below, and neither is shown otherwise. Pairing
 * removes what differs between clients' data from the comparison, which is what makes a
 * federated A/B test tight with few clients.
 *
 * @param pairs          clients that evaluated both versions
 * @param meanDifference mean of B - A
 * @param low            the interval's lower end
 * @param high           the interval's upper end
 * @param confidence     the interval's level, e.g. 0.95
 * @param verdict        which version the interval shows better
 */
public record PairedComparison(int pairs, double meanDifference, double low, double high, double confidence,
                               Verdict verdict) {
    /** What the interval shows. */
    public enum Verdict { A_BETTER, B_BETTER, NO_DIFFERENCE, TOO_FEW }

    /**
     * @param a          each client's measure of version A
     * @param b          the same clients' measure of version B, in the same order
     * @param confidence the interval's level, in (0, 1)
     */
    public static PairedComparison of(double[] a, double[] b, double confidence) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired measures need as many of B as of A: " + a.length + ", "
                    + b.length);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1): " + confidence);
        }
        int n = a.length;
        if (n < 2) {
            double d = n == 1 ? b[0] - a[0] : Double.NaN;
            return new PairedComparison(n, d, Double.NaN, Double.NaN, confidence, Verdict.TOO_FEW);
        }
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += b[i] - a[i];
        }
        mean /= n;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double e = b[i] - a[i] - mean;
            ss += e * e;
        }
        double se = Math.sqrt(ss / (n - 1) / n);
        double t = new TDistribution(null, n - 1).inverseCumulativeProbability(1 - (1 - confidence) / 2);
        double low = mean - t * se;
        double high = mean + t * se;
        Verdict v = low > 0 ? Verdict.B_BETTER : high < 0 ? Verdict.A_BETTER : Verdict.NO_DIFFERENCE;
        return new PairedComparison(n, mean, low, high, confidence, v);
    }

    /** One line: the verdict and its numbers. */
    public String describe(long versionA, long versionB) {
        String what = switch (verdict) {
            case B_BETTER -> "version " + versionB + " is better";
            case A_BETTER -> "version " + versionA + " is better";
            case NO_DIFFERENCE -> "no difference shown";
            case TOO_FEW -> "too few clients evaluated both";
        };
        return String.format(Locale.ROOT, "%s: accuracy of %d minus %d on %d clients' own data, mean %+.4f, "
                + "%.0f%% interval [%+.4f, %+.4f]", what, versionB, versionA, pairs, meanDifference, confidence * 100,
                low, high);
    }
}
