package io.fedge.aggregation.robust;

import java.util.Objects;

/**
 * Walks the coordinates of some updates in blocks: reads block {@code [from, from + B)} of each
 * update once into one buffer, then hands a rule the values of every coordinate across the
 * updates. Memory is {@code updates × B} floats for the buffer (B is 4096, fewer when there are
 * over 1,024 updates, so the buffer stays within 4M floats) plus the result.
 */
final class Coordinatewise {
    /** Coordinates per block. */
    static final int BLOCK = 4096;
    private static final int MAX_BUFFER = 1 << 22;

    /** The aggregate of one coordinate. */
    @FunctionalInterface
    interface Rule {
        /** The aggregate of {@code column[0, n)}, which the rule may reorder. */
        double apply(float[] column, int n);
    }

    private Coordinatewise() {
    }

    /** The block length for {@code members} updates. */
    static int block(int members) {
        return Math.max(1, Math.min(BLOCK, MAX_BUFFER / Math.max(1, members)));
    }

    /** {@code 0, 1, ..., n - 1}. */
    static int[] all(int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        return all;
    }

    static void checkBase(Updates updates, float[] base) {
        Objects.requireNonNull(base, "base");
        if (base.length != updates.length()) {
            throw new IllegalArgumentException("base has " + base.length + " values, the updates " + updates.length());
        }
    }

    /**
     * {@code base[c] + rule(values of the members at c)} for every coordinate {@code c}, rounded
     * once to float.
     */
    static float[] apply(Updates updates, int[] members, float[] base, Rule rule) {
        checkBase(updates, base);
        int n = members.length;
        if (n == 0) {
            throw new IllegalArgumentException("no updates to aggregate");
        }
        int length = updates.length();
        int block = Math.min(block(n), Math.max(1, length));
        float[] buffer = new float[n * block];
        float[] column = new float[n];
        float[] out = new float[length];
        for (int from = 0; from < length; from += block) {
            int len = Math.min(block, length - from);
            for (int j = 0; j < n; j++) {
                updates.read(members[j], from, buffer, j * block, len);
            }
            for (int c = 0; c < len; c++) {
                for (int j = 0; j < n; j++) {
                    column[j] = buffer[j * block + c];
                }
                out[from + c] = (float) (base[from + c] + rule.apply(column, n));
            }
        }
        return out;
    }

    /** The unweighted mean of {@code column[0, n)}, summed in double. */
    static double mean(float[] column, int n) {
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += column[j];
        }
        return sum / n;
    }
}
