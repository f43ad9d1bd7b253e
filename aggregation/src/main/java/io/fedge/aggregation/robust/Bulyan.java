package io.fedge.aggregation.robust;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Bulyan (El Mhamdi et al. 2018, "The hidden vulnerability of distributed learning in
 * Byzantium"), tolerating {@code f} Byzantine updates among {@code n ≥ 4f + 3}. It first selects
 * {@code θ = n − 2f} updates by applying {@link Krum} repeatedly: among the updates not yet
 * selected, the one with the lowest Krum score is selected and removed, {@code θ} times. Then,
 * for each coordinate, it averages (unweighted, in double) the {@code β = θ − 2f} values of the
 * selected updates closest to their median ({@link CoordinateMedian}'s, the mean of the two
 * middle values when {@code θ} is even).
 *
 * <p>Choices the paper leaves open: with {@code r} updates left, a Krum score sums the
 * {@code max(1, r − f − 2)} smallest squared distances to the others (capped at {@code r − 1}),
 * as Flower's {@code aggregate_bulyan} does, so the last selections still compare neighbours
 * rather than tie at zero; ties in score go to the lower index; of two values equally far from
 * the median, the smaller is taken first. The distances are computed once, blockwise, for all
 * {@code n} updates and reused by every selection.
 */
public final class Bulyan implements RobustRule {
    private final int f;

    /** @param f how many Byzantine updates to tolerate, at least 0 */
    public Bulyan(int f) {
        if (f < 0 || f > (Integer.MAX_VALUE - 3) / 4) {
            throw new IllegalArgumentException("f must be in [0, " + (Integer.MAX_VALUE - 3) / 4 + "]: " + f);
        }
        this.f = f;
    }

    public int f() {
        return f;
    }

    /** The fewest updates Bulyan aggregates: {@code 4f + 3}. */
    public int minUpdates() {
        return 4 * f + 3;
    }

    @Override
    public Optional<String> refusal(int n) {
        if (n < minUpdates()) {
            return Optional.of("Bulyan with f=" + f + " needs at least " + minUpdates() + " updates (n >= 4f + 3), got " + n);
        }
        return Optional.empty();
    }

    /**
     * The {@code θ = n − 2f} updates selected by repeated Krum, in the order selected.
     *
     * @throws IllegalArgumentException if there are fewer than {@code 4f + 3} updates
     */
    public int[] select(Updates updates) {
        requireEnough(updates.size());
        return select(PairwiseDistances.squared(updates), f);
    }

    @Override
    public float[] aggregate(Updates updates, float[] base) {
        int n = updates.size();
        requireEnough(n);
        Coordinatewise.checkBase(updates, base);
        int[] selected = select(updates);
        int beta = selected.length - 2 * f;
        return Coordinatewise.apply(updates, selected, base, (column, theta) -> closestToMedianMean(column, theta, beta));
    }

    private void requireEnough(int n) {
        refusal(n).ifPresent(reason -> {
            throw new IllegalArgumentException(reason);
        });
    }

    /** Repeated Krum over the squared distances {@code d} of {@code n} updates: {@code n − 2f} indices. */
    static int[] select(double[][] d, int f) {
        int n = d.length;
        int theta = n - 2 * f;
        List<Integer> remaining = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            remaining.add(i);
        }
        int[] selected = new int[theta];
        for (int s = 0; s < theta; s++) {
            int r = remaining.size();
            int[] members = remaining.stream().mapToInt(Integer::intValue).toArray();
            int neighbours = Math.min(r - 1, Math.max(1, r - f - 2));
            double[] scores = Krum.scores(d, members, neighbours);
            int best = 0;
            for (int a = 1; a < r; a++) {
                if (Double.compare(scores[a], scores[best]) < 0) {
                    best = a; // members ascend, so ties stay with the lower index
                }
            }
            selected[s] = members[best];
            remaining.remove(best);
        }
        return selected;
    }

    /**
     * The mean of the {@code beta} values of {@code column[0, n)} closest to their median (which
     * sorts the column), the smaller first of two equally far.
     */
    static double closestToMedianMean(float[] column, int n, int beta) {
        Arrays.sort(column, 0, n);
        double median = CoordinateMedian.sortedMedian(column, n);
        // Every value at or below lo is <= median, every one from hi on is >= median: take the
        // nearer end of the window each time.
        int lo = (n - 1) / 2;
        int hi = lo + 1;
        double sum = 0;
        for (int taken = 0; taken < beta; taken++) {
            boolean takeLow = hi >= n || (lo >= 0 && median - column[lo] <= column[hi] - median);
            sum += takeLow ? column[lo--] : column[hi++];
        }
        return sum / beta;
    }

    @Override
    public String toString() {
        return "Bulyan[f=" + f + "]";
    }
}
