package io.fedge.export;

import io.fedge.core.model.InputShape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * Labelled examples of any shape: each class has a random prototype in [0, 1]^n, and an example is
 * half its class's prototype and half uniform noise, so a small network learns them in an epoch.
 */
final class SyntheticData {
    private SyntheticData() {
    }

    /** {@code n} examples of {@code classes} classes, flat rows of {@code shape}; the prototypes come from {@code seed}. */
    static DataSet of(InputShape shape, int classes, int n, long seed, long noiseSeed) {
        int size = Math.toIntExact(shape.size());
        Random protos = new Random(seed);
        float[][] prototype = new float[classes][size];
        for (float[] p : prototype) {
            for (int i = 0; i < size; i++) {
                p[i] = protos.nextFloat();
            }
        }
        Random r = new Random(noiseSeed);
        float[][] x = new float[n][size];
        float[][] y = new float[n][classes];
        for (int e = 0; e < n; e++) {
            int c = r.nextInt(classes);
            for (int i = 0; i < size; i++) {
                x[e][i] = 0.5f * prototype[c][i] + 0.5f * r.nextFloat();
            }
            y[e][c] = 1;
        }
        return new DataSet(Nd4j.create(x).castTo(DataType.FLOAT), Nd4j.create(y).castTo(DataType.FLOAT));
    }
}
