package io.fedge.data.partition;

import java.util.Arrays;
import java.util.Random;

/**
 * Splits the examples uniformly at random: all indices are shuffled and cut into
 * {@code numClients} contiguous parts whose sizes differ by at most one (the first
 * {@code labels.length % numClients} parts get the extra example, as {@code numpy.array_split}).
 * Labels are ignored. Immutable and thread-safe.
 */
public final class IidPartitioner implements Partitioner {

    /** Creates the IID partitioner. */
    public IidPartitioner() {
    }

    /** {@inheritDoc} */
    @Override
    public int[][] partition(int[] labels, int numClients, Random rng) {
        PartitionArguments.check(labels, numClients, rng);
        int n = labels.length;
        int[] shuffled = Permutation.of(n, rng);
        int base = n / numClients;
        int larger = n % numClients;
        int[][] parts = new int[numClients][];
        int from = 0;
        for (int k = 0; k < numClients; k++) {
            int to = from + base + (k < larger ? 1 : 0);
            parts[k] = Arrays.copyOfRange(shuffled, from, to);
            Arrays.sort(parts[k]);
            from = to;
        }
        return parts;
    }

    @Override
    public String toString() {
        return "IidPartitioner";
    }
}
