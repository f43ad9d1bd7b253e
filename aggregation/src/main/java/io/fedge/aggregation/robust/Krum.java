package io.fedge.aggregation.robust;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Krum and Multi-Krum (Blanchard et al. 2017, "Machine learning with adversaries: Byzantine
 * tolerant gradient descent"), tolerating {@code f} Byzantine updates among {@code n ≥ f + 3}.
 * Each update {@code i} scores the sum of its squared L2 distances to its {@code n − f − 2}
 * nearest other updates; Krum takes the update with the lowest score as the aggregate, and
 * Multi-Krum the unweighted mean of the {@code m} lowest-scoring ones ({@code m = 1} is Krum;
 * by default {@code m = n − f}, the most the paper selects). Ties in score go to the lower
 * index (the update accepted first). The mean ignores example counts, as in the paper: a
 * Byzantine client could claim any count.
 *
 * <p>Distances are computed once, blockwise ({@link PairwiseDistances}): {@code n²} doubles.
 */
public final class Krum implements RobustRule {
    /** {@code m} meaning {@code n − f}. */
    public static final int AUTO = 0;

    private final int f;
    private final int m;
    private final boolean weighted;

    /** Krum: the single lowest-scoring update. */
    public Krum(int f) {
        this(f, 1);
    }

    /**
     * Multi-Krum.
     *
     * @param f how many Byzantine updates to tolerate, at least 0
     * @param m how many updates to average, at least 1, or {@link #AUTO} for {@code n − f}
     */
    public Krum(int f, int m) {
        this(f, m, false);
    }

    /**
     * Multi-Krum whose average of the selected updates weighs their example counts
     * ({@link Updates#weight}), as FedAvg's does, when {@code weighted}.
     */
    public Krum(int f, int m, boolean weighted) {
        if (f < 0 || f > Integer.MAX_VALUE - 3) {
            throw new IllegalArgumentException("f must be non-negative: " + f);
        }
        if (m < 0) {
            throw new IllegalArgumentException("m must be positive, or 0 for n - f: " + m);
        }
        this.f = f;
        this.m = m;
        this.weighted = weighted;
    }

    public int f() {
        return f;
    }

    /** The fewest updates Krum scores: {@code f + 3}. */
    public int minUpdates() {
        return f + 3;
    }

    /** How many updates are averaged out of {@code n}. */
    public int selected(int n) {
        return m == AUTO ? n - f : m;
    }

    @Override
    public Optional<String> refusal(int n) {
        if (n < minUpdates()) {
            return Optional.of("Krum with f=" + f + " needs at least " + minUpdates() + " updates (n >= f + 3), got " + n);
        }
        if (selected(n) > n - f) {
            return Optional.of("Multi-Krum with f=" + f + " averages at most n - f = " + (n - f) + " of " + n
                    + " updates, m=" + m + " asked");
        }
        return Optional.empty();
    }

    /**
     * Every update's score, in order.
     *
     * @throws IllegalArgumentException if there are fewer than {@code f + 3} updates
     */
    public double[] scores(Updates updates) {
        requireEnough(updates.size());
        return scores(PairwiseDistances.squared(updates), Coordinatewise.all(updates.size()), updates.size() - f - 2);
    }

    /**
     * The {@code count} lowest-scoring updates, lowest first, ties to the lower index.
     *
     * @throws IllegalArgumentException if there are fewer than {@code f + 3} updates, or
     *         {@code count} is not in {@code [1, n]}
     */
    public int[] select(Updates updates, int count) {
        double[] scores = scores(updates);
        if (count < 1 || count > scores.length) {
            throw new IllegalArgumentException("cannot select " + count + " of " + scores.length + " updates");
        }
        return lowest(scores, count);
    }

    /** {@code base} plus the mean of the {@link #selected} lowest-scoring updates. */
    @Override
    public float[] aggregate(Updates updates, float[] base) {
        int n = updates.size();
        refusal(n).ifPresent(reason -> {
            throw new IllegalArgumentException(reason);
        });
        Coordinatewise.checkBase(updates, base);
        int[] members = select(updates, selected(n));
        if (!weighted) {
            return Coordinatewise.apply(updates, members, base, Coordinatewise::mean);
        }
        double[] w = new double[members.length];
        double total = 0;
        for (int j = 0; j < members.length; j++) {
            w[j] = updates.weight(members[j]);
            total += w[j];
        }
        double sumWeights = total;
        return Coordinatewise.apply(updates, members, base, (column, k) -> {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += w[j] * column[j];
            }
            return sum / sumWeights;
        });
    }

    private void requireEnough(int n) {
        if (n < minUpdates()) {
            throw new IllegalArgumentException("Krum with f=" + f + " needs at least " + minUpdates()
                    + " updates (n >= f + 3), got " + n);
        }
    }

    /**
     * The score of each of {@code members} among them: the sum of its {@code neighbours}
     * smallest squared distances {@code d} to the other members.
     */
    static double[] scores(double[][] d, int[] members, int neighbours) {
        int r = members.length;
        double[] scores = new double[r];
        double[] others = new double[Math.max(0, r - 1)];
        for (int a = 0; a < r; a++) {
            int k = 0;
            for (int b = 0; b < r; b++) {
                if (b != a) {
                    others[k++] = d[members[a]][members[b]];
                }
            }
            Arrays.sort(others);
            double sum = 0;
            for (int j = 0; j < neighbours; j++) {
                sum += others[j];
            }
            scores[a] = sum;
        }
        return scores;
    }

    /** The indices of the {@code count} lowest {@code scores}, lowest first, ties to the lower index. */
    static int[] lowest(double[] scores, int count) {
        return IntStream.range(0, scores.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> scores[i]).thenComparingInt(i -> i))
                .limit(count).mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString() {
        return m == 1 ? "Krum[f=" + f + "]" : "MultiKrum[f=" + f + ", m=" + (m == AUTO ? "n-f" : m) + "]";
    }
}
