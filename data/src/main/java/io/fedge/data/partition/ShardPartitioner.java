package io.fedge.data.partition;

import java.util.Arrays;
import java.util.Random;

/**
 * McMahan et al.'s pathological non-IID split: the examples are stably sorted by label and cut
 * into {@code shardsPerClient * numClients} shards of {@code labels.length / (shardsPerClient *
 * numClients)} examples each; each client gets {@code shardsPerClient} shards chosen by a random
 * permutation of the shard ids. With 60,000 examples, 100 clients and 2 shards per client this
 * is 200 shards of 300, so most clients see only two classes.
 *
 * <p>The last {@code labels.length % (shardsPerClient * numClients)} examples of the sorted
 * order belong to no shard and are dropped. Immutable and thread-safe.
 *
 * @param shardsPerClient how many shards each client gets, positive
 */
public record ShardPartitioner(int shardsPerClient) implements Partitioner {

    /** The shard count used by {@link #ShardPartitioner()}, as in McMahan et al. (2017). */
    public static final int DEFAULT_SHARDS_PER_CLIENT = 2;

    /**
     * Checks the parameter.
     *
     * @throws IllegalArgumentException if {@code shardsPerClient} is not positive
     */
    public ShardPartitioner {
        if (shardsPerClient <= 0) {
            throw new IllegalArgumentException("shardsPerClient must be positive: " + shardsPerClient);
        }
    }

    /** Creates a partitioner giving {@value #DEFAULT_SHARDS_PER_CLIENT} shards to each client. */
    public ShardPartitioner() {
        this(DEFAULT_SHARDS_PER_CLIENT);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException also if there are fewer examples than shards
     */
    @Override
    public int[][] partition(int[] labels, int numClients, Random rng) {
        PartitionArguments.check(labels, numClients, rng);
        long shards = (long) shardsPerClient * numClients;
        if (shards > labels.length) {
            throw new IllegalArgumentException("need at least one example per shard, but " + labels.length
                    + " examples cannot fill " + shardsPerClient + " x " + numClients + " shards: " + shards);
        }
        int shardCount = (int) shards;
        int shardSize = labels.length / shardCount;
        int[] order = stableOrderByLabel(labels);
        int[] shardIds = Permutation.of(shardCount, rng);
        int[][] parts = new int[numClients][];
        for (int k = 0; k < numClients; k++) {
            int[] part = new int[shardsPerClient * shardSize];
            for (int s = 0; s < shardsPerClient; s++) {
                int shard = shardIds[k * shardsPerClient + s];
                System.arraycopy(order, shard * shardSize, part, s * shardSize, shardSize);
            }
            Arrays.sort(part);
            parts[k] = part;
        }
        return parts;
    }

    /** Returns the indices ordered by label, ties kept in index order (a stable argsort). */
    static int[] stableOrderByLabel(int[] labels) {
        // label in the high word, index in the low word: sorting the keys sorts by (label, index).
        long[] keys = new long[labels.length];
        for (int i = 0; i < labels.length; i++) {
            keys[i] = ((long) labels[i] << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }
}
