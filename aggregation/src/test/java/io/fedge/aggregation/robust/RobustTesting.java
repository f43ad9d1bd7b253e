package io.fedge.aggregation.robust;

import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/** What the robust tests share: results, chunked updates, seeded vectors. */
final class RobustTesting {
    private RobustTesting() {
    }

    static FitResult result(String id, long examples) {
        return new FitResult(id, examples, 0.5, Map.of(), Duration.ofSeconds(1));
    }

    static FitResult result(int i) {
        return result("c" + i, 10);
    }

    /**
     * {@code delta} in chunks of {@code size} through one scratch buffer longer than a chunk,
     * overwritten between chunks and poisoned past the valid length, as a decoder would.
     */
    static UpdateChunks chunked(int size, float[] delta) {
        return visitor -> {
            float[] scratch = new float[size + 2];
            for (int from = 0; from < delta.length; from += size) {
                int n = Math.min(size, delta.length - from);
                Arrays.fill(scratch, 1e9f);
                System.arraycopy(delta, from, scratch, 0, n);
                visitor.visit(from, scratch, n);
            }
        };
    }

    /** {@code n} vectors of {@code length} Gaussian values, seeded. */
    static float[][] gaussian(long seed, int n, int length) {
        Random rng = new Random(seed);
        float[][] v = new float[n][length];
        for (float[] row : v) {
            for (int c = 0; c < length; c++) {
                row[c] = (float) rng.nextGaussian();
            }
        }
        return v;
    }

    /** A store of {@code vectors} added in chunks of 1000, {@code budget} of them on the heap. */
    static UpdateStore store(java.nio.file.Path dir, int budget, float[]... vectors) {
        UpdateStore store = new UpdateStore(vectors.length == 0 ? 0 : vectors[0].length, budget, dir);
        for (int i = 0; i < vectors.length; i++) {
            store.add(result(i), chunked(1000, vectors[i]));
        }
        return store;
    }

    /** Column {@code c} of {@code vectors}. */
    static float[] column(float[][] vectors, int c) {
        float[] col = new float[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            col[i] = vectors[i][c];
        }
        return col;
    }
}
