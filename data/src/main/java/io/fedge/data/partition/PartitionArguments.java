package io.fedge.data.partition;

import java.util.Objects;
import java.util.Random;

/** The argument checks that every {@link Partitioner} shares. */
final class PartitionArguments {

    private PartitionArguments() {
    }

    /**
     * Checks the arguments of {@link Partitioner#partition(int[], int, Random)}.
     *
     * @throws NullPointerException if {@code labels} or {@code rng} is null
     * @throws IllegalArgumentException if {@code numClients} is not in {@code [1, labels.length]}
     */
    static void check(int[] labels, int numClients, Random rng) {
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(rng, "rng");
        if (numClients <= 0) {
            throw new IllegalArgumentException("numClients must be positive: " + numClients);
        }
        if (numClients > labels.length) {
            throw new IllegalArgumentException(
                    "numClients must not exceed the number of examples (" + labels.length + "): " + numClients);
        }
    }
}
