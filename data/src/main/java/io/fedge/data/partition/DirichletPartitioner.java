package io.fedge.data.partition;

import java.util.Arrays;
import java.util.Random;
import org.apache.commons.math3.distribution.GammaDistribution;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.RandomGeneratorFactory;

/**
 * Label-skewed split after Hsu et al. (2019): for each class, in ascending label order, the
 * shuffled examples of that class are cut among the clients in proportions
 * {@code p ~ Dirichlet(alpha, ..., alpha)}; client {@code k} gets the {@code k}-th piece,
 * the cut points being {@code floor(cumsum(p) * classSize)}. Small {@code alpha} (0.1) gives each
 * client few classes; large {@code alpha} (100) approaches an IID split.
 *
 * <p>The whole draw is repeated until every client holds at least
 * {@code min(minSize, labels.length / numClients)} examples, at most {@value #MAX_TRIES} times,
 * as the FedMA and NIID-Bench implementations do. Every index goes to exactly one client.
 * Immutable and thread-safe.
 *
 * @param alpha the Dirichlet concentration, positive and finite
 * @param minSize the fewest examples a client may get, not negative
 */
public record DirichletPartitioner(double alpha, int minSize) implements Partitioner {

    /** The minimum client size used by {@link #DirichletPartitioner(double)}. */
    public static final int DEFAULT_MIN_SIZE = 10;

    /** How many complete draws are tried before giving up. */
    public static final int MAX_TRIES = 1000;

    /**
     * Checks the parameters.
     *
     * @throws IllegalArgumentException if {@code alpha} is not positive and finite, or
     *     {@code minSize} is negative
     */
    public DirichletPartitioner {
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("alpha must be positive and finite: " + alpha);
        }
        if (minSize < 0) {
            throw new IllegalArgumentException("minSize must not be negative: " + minSize);
        }
    }

    /**
     * Creates a partitioner with the default minimum client size of {@value #DEFAULT_MIN_SIZE}.
     *
     * @param alpha the Dirichlet concentration, positive and finite
     * @throws IllegalArgumentException if {@code alpha} is not positive and finite
     */
    public DirichletPartitioner(double alpha) {
        this(alpha, DEFAULT_MIN_SIZE);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if no draw in {@value #MAX_TRIES} gave every client enough
     *     examples
     */
    @Override
    public int[][] partition(int[] labels, int numClients, Random rng) {
        PartitionArguments.check(labels, numClients, rng);
        int[][] byClass = indicesByClass(labels);
        int required = Math.min(minSize, labels.length / numClients);
        RandomGenerator gammaSource = RandomGeneratorFactory.createRandomGenerator(rng);
        GammaDistribution gamma = new GammaDistribution(gammaSource, alpha, 1.0);
        double[] proportions = new double[numClients];
        int[][] shuffled = new int[byClass.length][];
        int[][] cuts = new int[byClass.length][];
        for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
            int[] sizes = new int[numClients];
            boolean drawn = true;
            for (int c = 0; c < byClass.length && drawn; c++) {
                shuffled[c] = byClass[c].clone();
                Permutation.shuffle(shuffled[c], rng);
                drawn = drawDirichlet(gamma, proportions);
                cuts[c] = cutPoints(proportions, shuffled[c].length);
                for (int k = 0; k < numClients; k++) {
                    sizes[k] += cuts[c][k + 1] - cuts[c][k];
                }
            }
            if (drawn && min(sizes) >= required) {
                return assemble(shuffled, cuts, sizes);
            }
        }
        throw new IllegalStateException("no Dirichlet(alpha=" + alpha + ") split of " + labels.length
                + " examples among " + numClients + " clients gave each at least " + required
                + " examples in " + MAX_TRIES + " tries");
    }

    /**
     * Fills {@code p} with one Dirichlet draw from normalised Gamma variates; returns false when
     * they all underflowed to zero, which can happen for very small alpha.
     */
    private static boolean drawDirichlet(GammaDistribution gamma, double[] p) {
        double sum = 0;
        for (int k = 0; k < p.length; k++) {
            p[k] = gamma.sample();
            sum += p[k];
        }
        if (!(sum > 0) || Double.isInfinite(sum)) {
            return false;
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
        return true;
    }

    /**
     * Returns {@code p.length + 1} boundaries: 0, then {@code floor(cumsum(p) * n)} for the
     * first {@code p.length - 1} entries, then {@code n}. Client {@code k} gets
     * {@code [cut[k], cut[k+1])}.
     */
    static int[] cutPoints(double[] p, int n) {
        int[] cut = new int[p.length + 1];
        double cumulative = 0;
        for (int k = 0; k < p.length - 1; k++) {
            cumulative += p[k];
            // Rounding can push the running sum a hair past 1; keep the cuts inside [previous, n].
            int point = (int) Math.floor(cumulative * n);
            cut[k + 1] = Math.max(cut[k], Math.min(n, point));
        }
        cut[p.length] = n;
        return cut;
    }

    /** Returns, for each distinct label in ascending order, the ascending indices carrying it. */
    static int[][] indicesByClass(int[] labels) {
        int[] classes = distinctSorted(labels);
        int[] counts = new int[classes.length];
        int[] classOf = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            classOf[i] = Arrays.binarySearch(classes, labels[i]);
            counts[classOf[i]]++;
        }
        int[][] byClass = new int[classes.length][];
        for (int c = 0; c < classes.length; c++) {
            byClass[c] = new int[counts[c]];
        }
        int[] filled = new int[classes.length];
        for (int i = 0; i < labels.length; i++) {
            int c = classOf[i];
            byClass[c][filled[c]++] = i;
        }
        return byClass;
    }

    private static int[] distinctSorted(int[] labels) {
        int[] sorted = labels.clone();
        Arrays.sort(sorted);
        int distinct = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[distinct++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, distinct);
    }

    private static int[][] assemble(int[][] shuffled, int[][] cuts, int[] sizes) {
        int[][] parts = new int[sizes.length][];
        int[] filled = new int[sizes.length];
        for (int k = 0; k < sizes.length; k++) {
            parts[k] = new int[sizes[k]];
        }
        for (int c = 0; c < shuffled.length; c++) {
            for (int k = 0; k < sizes.length; k++) {
                int from = cuts[c][k];
                int length = cuts[c][k + 1] - from;
                System.arraycopy(shuffled[c], from, parts[k], filled[k], length);
                filled[k] += length;
            }
        }
        for (int[] part : parts) {
            Arrays.sort(part);
        }
        return parts;
    }

    private static int min(int[] values) {
        int min = Integer.MAX_VALUE;
        for (int v : values) {
            min = Math.min(min, v);
        }
        return min;
    }
}
