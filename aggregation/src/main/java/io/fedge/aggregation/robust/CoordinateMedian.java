package io.fedge.aggregation.robust;

import java.util.Arrays;
import java.util.Optional;

/**
 * The coordinate-wise median of the updates (Yin et al. 2018): each coordinate of the aggregate
 * is the median of that coordinate across the updates; with an even count, the mean of the two
 * middle values, computed in double. Unweighted: a client's example count does not move it.
 * Values are ordered as {@link Arrays#sort(float[])} orders them ({@code -0.0 < 0.0}).
 */
public final class CoordinateMedian implements RobustRule {
    @Override
    public Optional<String> refusal(int n) {
        return n == 0 ? Optional.of("no updates") : Optional.empty();
    }

    @Override
    public float[] aggregate(Updates updates, float[] base) {
        return Coordinatewise.apply(updates, Coordinatewise.all(updates.size()), base, CoordinateMedian::median);
    }

    /** The median of {@code values[0, n)}, which it sorts; {@code n > 0}. */
    public static double median(float[] values, int n) {
        Arrays.sort(values, 0, n);
        return sortedMedian(values, n);
    }

    /** The median of {@code sorted[0, n)}, already in ascending order. */
    static double sortedMedian(float[] sorted, int n) {
        int mid = n / 2;
        return n % 2 == 1 ? sorted[mid] : ((double) sorted[mid - 1] + sorted[mid]) / 2;
    }

    @Override
    public String toString() {
        return "CoordinateMedian";
    }
}
