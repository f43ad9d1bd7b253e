package io.fedge.coordinator;

import java.util.Arrays;

/**
 * The server-side L2 norm bound on updates: an update {@code d} with {@code |d| > C} is scaled to
 * {@code d * C / |d|} before it is folded in, so a client that multiplies its update by a million
 * moves the mean no further than an honest one with the same weight. Clipping keeps the direction
 * and needs one extra pass over the update's chunks (the norm), so it streams.
 *
 * <ul>
 *   <li>{@link #none()}: no bound;
 *   <li>{@link #fixed(double)}: {@code C} is given;
 *   <li>{@link #adaptive(double)}: {@code C = multiplier * median} of the norms of the updates
 *       accepted in the previous round that advanced the model; before any such round,
 *       {@code C = max(1, |w|)}, the norm of the current model (an update larger than the whole
 *       model is not what one round of local training produces).
 * </ul>
 *
 * Immutable. The median the adaptive bound learns from is the round loop's state, persisted with it.
 */
public final class NormClip {
    private enum Kind { NONE, FIXED, ADAPTIVE }

    private final Kind kind;
    private final double value;

    private NormClip(Kind kind, double value) {
        this.kind = kind;
        this.value = value;
    }

    public static NormClip none() {
        return new NormClip(Kind.NONE, Double.POSITIVE_INFINITY);
    }

    public static NormClip fixed(double bound) {
        if (!(bound > 0) || Double.isInfinite(bound)) {
            throw new IllegalArgumentException("a fixed clipping bound must be positive and finite: " + bound);
        }
        return new NormClip(Kind.FIXED, bound);
    }

    public static NormClip adaptive(double multiplier) {
        if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("the adaptive clipping multiplier must be at least 1 and finite: "
                    + multiplier);
        }
        return new NormClip(Kind.ADAPTIVE, multiplier);
    }

    /**
     * Parses {@code none}, {@code fixed:C} or {@code adaptive:M}.
     *
     * @throws IllegalArgumentException naming what is allowed
     */
    public static NormClip parse(String spec) {
        String s = spec.trim();
        try {
            if (s.equals("none")) {
                return none();
            }
            if (s.startsWith("fixed:")) {
                return fixed(Double.parseDouble(s.substring(6)));
            }
            if (s.startsWith("adaptive:")) {
                return adaptive(Double.parseDouble(s.substring(9)));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("clipping must be none, fixed:C (C > 0) or adaptive:M (M >= 1), not '"
                + spec + "'");
    }

    /**
     * This round's bound.
     *
     * @param previousMedian the median update norm of the last round that advanced the model, NaN if none yet
     * @param modelNorm the L2 norm of the current global model
     */
    public double bound(double previousMedian, double modelNorm) {
        return switch (kind) {
            case NONE -> Double.POSITIVE_INFINITY;
            case FIXED -> value;
            case ADAPTIVE -> Double.isNaN(previousMedian) || !(previousMedian > 0)
                    ? Math.max(1.0, modelNorm) : value * previousMedian;
        };
    }

    /** The median of {@code norms}, NaN when empty: what an adaptive bound learns from a round. */
    public static double median(double[] norms) {
        if (norms.length == 0) {
            return Double.NaN;
        }
        double[] sorted = norms.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case FIXED -> "fixed:" + value;
            case ADAPTIVE -> "adaptive:" + value;
        };
    }
}
