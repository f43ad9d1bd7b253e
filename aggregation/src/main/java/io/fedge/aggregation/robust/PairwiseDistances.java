package io.fedge.aggregation.robust;

/**
 * The squared L2 distances between every pair of updates, computed blockwise: each block of
 * coordinates of every update is read once into one buffer, and each pair's partial sum of
 * squared differences (in double) is added to its distance. Memory: {@code n × n} doubles and a
 * buffer of {@code n × B} floats (see {@link Coordinatewise}); time {@code n² / 2 × length}.
 */
public final class PairwiseDistances {
    private PairwiseDistances() {
    }

    /** {@code d[i][j] = ||u_i - u_j||²}, symmetric, zero on the diagonal. */
    public static double[][] squared(Updates updates) {
        int n = updates.size();
        int length = updates.length();
        double[][] d = new double[n][n];
        if (n < 2 || length == 0) {
            return d;
        }
        int block = Math.min(Coordinatewise.block(n), length);
        float[] buffer = new float[n * block];
        for (int from = 0; from < length; from += block) {
            int len = Math.min(block, length - from);
            for (int i = 0; i < n; i++) {
                updates.read(i, from, buffer, i * block, len);
            }
            for (int i = 0; i < n; i++) {
                int a = i * block;
                for (int j = i + 1; j < n; j++) {
                    int b = j * block;
                    double sum = 0;
                    for (int c = 0; c < len; c++) {
                        double diff = (double) buffer[a + c] - buffer[b + c];
                        sum += diff * diff;
                    }
                    d[i][j] += sum;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                d[j][i] = d[i][j];
            }
        }
        return d;
    }
}
