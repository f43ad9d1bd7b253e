package io.fedge.coordinator;

import java.util.Locale;

/**
 * The statistical test that decides a canary: accuracy on the inferences whose labels the
 * devices know, canary against stable, as a two-proportion z-test (pooled variance) taken at
 * {@code looks} points spaced geometrically between {@code minTrials} and {@code maxTrials}
 * labelled canary inferences. At each look the canary is rolled back when it is worse with
 * one-sided significance {@code alpha / looks}; at the last look it is promoted otherwise. By the
 * union bound, two identical versions are wrongly rolled back with probability at most
 * {@code alpha}, however often the canary is looked at in between (only the looks count).
 *
 * @param alpha     the false-alarm rate: the chance of rolling back a canary no worse than stable
 * @param looks     how many times the test is taken (at least 1)
 * @param minTrials labelled canary inferences at the first look
 * @param maxTrials labelled canary inferences at the last look
 */
public record CanaryTest(double alpha, int looks, long minTrials, long maxTrials) {
    private static final org.apache.commons.math3.distribution.NormalDistribution STANDARD_NORMAL =
            new org.apache.commons.math3.distribution.NormalDistribution(null, 0, 1);

    /** 5% false alarms, 5 looks between 200 and 5,000 labelled canary inferences. */
    public static final CanaryTest DEFAULT = new CanaryTest(0.05, 5, 200, 5_000);

    /** Where a canary stands. */
    public enum Verdict { CONTINUE, PROMOTE, ROLL_BACK }

    /**
     * A verdict with its numbers: the accuracy difference (canary minus stable), its two-sided
     * confidence interval at level {@code 1 - 2 alpha / looks}, the z statistic, and the look it
     * was taken at (0 before the first).
     */
    public record Decision(Verdict verdict, int look, double difference, double low, double high, double z,
                           String reason) {
    }

    public CanaryTest {
        if (!(alpha > 0 && alpha < 0.5)) {
            throw new IllegalArgumentException("the canary's false-alarm rate must be in (0, 0.5), not " + alpha);
        }
        if (looks < 1 || minTrials < 1 || maxTrials < minTrials) {
            throw new IllegalArgumentException("the canary test needs looks >= 1 and 1 <= minTrials <= maxTrials, not "
                    + looks + ", " + minTrials + ", " + maxTrials);
        }
    }

    /** Labelled canary inferences at look {@code k} (1-based). */
    public long trialsAt(int k) {
        if (looks == 1) {
            return maxTrials;
        }
        double ratio = Math.pow((double) maxTrials / minTrials, (k - 1) / (double) (looks - 1));
        return Math.min(maxTrials, Math.round(minTrials * ratio));
    }

    /** The one-sided critical value at each look. */
    public double critical() {
        return inverseNormal(1 - alpha / looks);
    }

    /**
     * The verdict at look {@code look} (the caller takes look k once the canary has
     * {@link #trialsAt}(k) labelled inferences), from each arm's labelled inferences and how many
     * of them were right.
     */
    public Decision decide(int look, long stableTrials, long stableCorrect, long canaryTrials, long canaryCorrect) {
        if (stableTrials <= 0 || canaryTrials <= 0) {
            return new Decision(Verdict.CONTINUE, look, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    "no labelled inferences on both versions yet");
        }
        double ps = stableCorrect / (double) stableTrials;
        double pc = canaryCorrect / (double) canaryTrials;
        double pooled = (stableCorrect + canaryCorrect) / (double) (stableTrials + canaryTrials);
        double sePooled = Math.sqrt(pooled * (1 - pooled) * (1.0 / stableTrials + 1.0 / canaryTrials));
        double se = Math.sqrt(ps * (1 - ps) / stableTrials + pc * (1 - pc) / canaryTrials);
        double diff = pc - ps;
        double z = sePooled == 0 ? (diff == 0 ? 0 : Math.copySign(Double.POSITIVE_INFINITY, diff)) : diff / sePooled;
        double crit = critical();
        double low = diff - crit * se;
        double high = diff + crit * se;
        String numbers = String.format(Locale.ROOT, "canary accuracy %.4f on %d labelled inferences, stable %.4f on %d; "
                + "difference %+.4f, interval [%+.4f, %+.4f], z %.2f (look %d of %d, critical %.2f)", pc, canaryTrials,
                ps, stableTrials, diff, low, high, z, look, looks, crit);
        if (z < -crit) {
            return new Decision(Verdict.ROLL_BACK, look, diff, low, high, z, "worse than stable: " + numbers);
        }
        if (look >= looks) {
            return new Decision(Verdict.PROMOTE, look, diff, low, high, z, "not worse than stable: " + numbers);
        }
        return new Decision(Verdict.CONTINUE, look, diff, low, high, z, "no evidence yet: " + numbers);
    }

    /** The standard normal quantile. */
    static double inverseNormal(double p) {
        return STANDARD_NORMAL.inverseCumulativeProbability(p);
    }
}
