package io.fedge.comm.secagg;

/**
 * Fixed-point encoding of weighted updates for secure aggregation, where masked values must add
 * in wrapping 64-bit integer arithmetic. A value {@code v} of an update trained on {@code n}
 * examples is clipped to {@code [-range, range]} and becomes {@code round(v * n * 2^fractionBits)}.
 * The sum over clients decodes to the weighted sum with an error of at most
 * {@code clients / 2^(fractionBits + 1)}, as long as {@code totalExamples * range * 2^fractionBits}
 * stays below 2^62 (checked).
 *
 * @param range the clip bound for update values
 * @param fractionBits bits after the binary point
 */
public record FixedPoint(double range, int fractionBits) {
    public FixedPoint {
        if (!(range > 0) || !Double.isFinite(range)) {
            throw new IllegalArgumentException("range must be positive: " + range);
        }
        if (fractionBits < 1 || fractionBits > 40) {
            throw new IllegalArgumentException("fractionBits must be in [1, 40]: " + fractionBits);
        }
    }

    /** The default: deltas clipped to [-1, 1], 24 fraction bits (about 6e-8). */
    public static FixedPoint standard() {
        return new FixedPoint(1.0, 24);
    }

    /**
     * Whether sums over {@code totalExamples} weighted values cannot overflow.
     */
    public boolean fits(long totalExamples) {
        return Math.log(totalExamples) / Math.log(2) + Math.log(range) / Math.log(2) + fractionBits < 62;
    }

    /** {@code values[i] * weight}, clipped, scaled and rounded, into {@code out}. */
    public void encode(float[] values, int n, long weight, long[] out) {
        double scale = Math.scalb((double) weight, fractionBits);
        for (int i = 0; i < n; i++) {
            double v = Math.max(-range, Math.min(range, values[i]));
            out[i] = Math.round(v * scale);
        }
    }

    /** A decoded sum divided by the total weight: the weighted mean. */
    public double decodeMean(long sum, long totalWeight) {
        return Math.scalb((double) sum, -fractionBits) / totalWeight;
    }
}
