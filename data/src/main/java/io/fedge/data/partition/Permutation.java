package io.fedge.data.partition;

import java.util.Random;

/** Uniform random permutations of int arrays (Fisher-Yates, as {@code Collections.shuffle}). */
final class Permutation {

    private Permutation() {
    }

    /** Returns {@code 0 .. n-1} in random order. */
    static int[] of(int n, Random rng) {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = i;
        }
        shuffle(values, rng);
        return values;
    }

    /** Puts {@code values} in random order, in place. */
    static void shuffle(int[] values, Random rng) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }
}
