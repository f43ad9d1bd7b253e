package io.fedge.data.partition;

import java.util.Random;

/**
 * Splits the examples of a labelled data set among a number of clients.
 *
 * <p>The result has one array per client holding the indices into {@code labels} of the
 * examples that client owns, in ascending order. No index is given to two clients.
 * {@link IidPartitioner} and {@link DirichletPartitioner} hand out every index;
 * {@link ShardPartitioner} cuts equal shards, as McMahan et al. do, and so drops the last
 * {@code labels.length % (shardsPerClient * numClients)} examples of the label-sorted order.
 *
 * <p>The split depends only on the labels, the client count and the values drawn from
 * {@code rng}: the same seed gives the same split. Implementations are immutable and
 * thread-safe; the {@code Random} passed in is not, so do not share one across threads.
 *
 * <pre>{@code
 * int[][] parts = new DirichletPartitioner(0.5).partition(trainLabels, 100, new Random(42));
 * }</pre>
 */
public interface Partitioner {

    /**
     * Splits the examples among {@code numClients} clients.
     *
     * @param labels the class label of each example
     * @param numClients how many clients to split among, from 1 to {@code labels.length}
     * @param rng the source of randomness; advanced by the call
     * @return for each client, the sorted indices of its examples
     * @throws NullPointerException if {@code labels} or {@code rng} is null
     * @throws IllegalArgumentException if {@code numClients} is not positive or exceeds
     *     {@code labels.length}, or the scheme cannot give every client an example
     * @throws IllegalStateException if a randomised scheme gave up redrawing
     */
    int[][] partition(int[] labels, int numClients, Random rng);
}
