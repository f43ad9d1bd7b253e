package io.fedge.data;

import io.fedge.core.metrics.Task;
import io.fedge.core.model.InputShape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A data set of examples: features of one {@link InputShape} (a vector, or an image stored flat and
 * channel-first), each example's {@link Targets} (a class or regression targets), and optionally
 * the {@link NaturalClients} the data assigns examples to.
 *
 * <p>Memory-lean: 8-bit features (image pixels) stay the unsigned bytes they were stored in, one
 * byte per value, and become floats in [0, 1] ({@code b / 255f}, as {@code LabeledImages} does) only
 * when a slice is turned into an ND4J {@link DataSet}; other features are floats.
 *
 * <p>Immutable and thread-safe.
 */
public final class Examples {
    private final InputShape shape;
    private final int width;
    private final byte[] bytes;
    private final float[] floats;
    private final Targets targets;
    private final NaturalClients clients;

    private Examples(InputShape shape, byte[] bytes, float[] floats, Targets targets, NaturalClients clients) {
        this.shape = Objects.requireNonNull(shape, "shape");
        this.targets = Objects.requireNonNull(targets, "targets");
        this.width = Math.toIntExact(shape.size());
        this.bytes = bytes;
        this.floats = floats;
        this.clients = clients;
        long values = bytes != null ? bytes.length : floats.length;
        if (values != (long) targets.size() * width) {
            throw new IllegalArgumentException(values + " feature values for " + targets.size()
                    + " examples of shape " + shape + " (" + width + " values each)");
        }
        if (clients != null && clients.size() != targets.size()) {
            throw new IllegalArgumentException(clients.size() + " client ids for " + targets.size() + " examples");
        }
    }

    /**
     * Examples with unsigned 8-bit features ({@code size * shape.size()} bytes, example after example),
     * which {@link #toDataSet} scales to [0, 1]. The array is taken over, not copied.
     */
    public static Examples ofBytes(InputShape shape, byte[] features, Targets targets, NaturalClients clients) {
        return new Examples(shape, Objects.requireNonNull(features, "features"), null, targets, clients);
    }

    /** Examples with float features, taken as they are. The array is taken over, not copied. */
    public static Examples ofFloats(InputShape shape, float[] features, Targets targets, NaturalClients clients) {
        return new Examples(shape, null, Objects.requireNonNull(features, "features"), targets, clients);
    }

    public int size() {
        return targets.size();
    }

    public InputShape shape() {
        return shape;
    }

    public Task task() {
        return targets.task();
    }

    public Targets targets() {
        return targets;
    }

    /** The natural partition the data names, if it names one. */
    public Optional<NaturalClients> clients() {
        return Optional.ofNullable(clients);
    }

    /** Whether the features are 8-bit values (scaled by 1/255) rather than floats. */
    public boolean byteFeatures() {
        return bytes != null;
    }

    /** The class names (classification) or target names (regression). */
    public List<String> outputNames() {
        return targets.names();
    }

    /** How many outputs a model for these examples has: classes, or targets. */
    public int outputs() {
        return targets.width();
    }

    /**
     * The class labels.
     *
     * @throws IllegalStateException for regression data, which has none
     */
    public ClassLabels classLabels() {
        if (!(targets instanceof ClassLabels c)) {
            throw new IllegalStateException("regression data has no class labels");
        }
        return c;
    }

    /** Feature {@code j} of example {@code i} as the model sees it (a byte scaled to [0, 1]). */
    public float feature(int i, int j) {
        int at = Objects.checkIndex(i, size()) * width + Objects.checkIndex(j, width);
        return bytes != null ? (bytes[at] & 0xFF) / 255f : floats[at];
    }

    /**
     * Feature {@code j} of example {@code i} as the 8-bit value it is stored as, 0 to 255.
     *
     * @throws IllegalStateException if the features are floats
     */
    public int byteFeature(int i, int j) {
        if (bytes == null) {
            throw new IllegalStateException("the features are floats, not 8-bit values");
        }
        return bytes[Objects.checkIndex(i, size()) * width + Objects.checkIndex(j, width)] & 0xFF;
    }

    /** The examples at {@code indices}, in that order, as a new data set (features copied). */
    public Examples select(int[] indices) {
        Targets t = targets.select(indices);
        NaturalClients c = clients == null ? null : clients.select(indices);
        if (bytes != null) {
            byte[] out = new byte[indices.length * width];
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(bytes, Objects.checkIndex(indices[i], size()) * width, out, i * width, width);
            }
            return new Examples(shape, out, null, t, c);
        }
        float[] out = new float[indices.length * width];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(floats, Objects.checkIndex(indices[i], size()) * width, out, i * width, width);
        }
        return new Examples(shape, null, out, t, c);
    }

    /** The same examples with other targets (relabelled classes); the features are shared. */
    Examples withTargets(Targets other) {
        return new Examples(shape, bytes, floats, other, clients);
    }

    /** Float features {@code (x - shift[j]) * factor[j]}, feature by feature; targets and clients shared. */
    Examples scaled(double[] shift, double[] factor) {
        float[] out = new float[size() * width];
        for (int i = 0; i < size(); i++) {
            for (int j = 0; j < width; j++) {
                out[i * width + j] = (float) ((feature(i, j) - shift[j]) * factor[j]);
            }
        }
        return new Examples(shape, null, out, targets, clients);
    }

    /** The first {@code n} examples (all of them if {@code n >= size()}). */
    public Examples head(int n) {
        return select(range(0, Math.min(Math.max(n, 0), size())));
    }

    /** {@code from, from+1, ..., to-1}. */
    public static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    /** All examples as an ND4J data set; see {@link #toDataSet(int[])}. */
    public DataSet toDataSet() {
        return toDataSet(range(0, size()));
    }

    /**
     * The examples at {@code indices}, in that order: float features {@code [n, shape.size()]} and
     * labels {@code [n, outputs()]}, one-hot for classes, the targets for a regression.
     */
    public DataSet toDataSet(int[] indices) {
        int n = indices.length;
        int outputs = targets.width();
        float[] x = new float[n * width];
        float[] y = new float[n * outputs];
        for (int row = 0; row < n; row++) {
            int example = Objects.checkIndex(indices[row], size());
            int src = example * width;
            int dst = row * width;
            if (bytes != null) {
                for (int p = 0; p < width; p++) {
                    x[dst + p] = (bytes[src + p] & 0xFF) / 255f;
                }
            } else {
                System.arraycopy(floats, src, x, dst, width);
            }
            targets.writeRow(example, y, row * outputs);
        }
        return new DataSet(
                Nd4j.create(x, new long[] {n, width}, DataType.FLOAT),
                Nd4j.create(y, new long[] {n, outputs}, DataType.FLOAT));
    }

    @Override
    public String toString() {
        return size() + " examples of " + shape + ", " + task().label() + " (" + outputs() + " "
                + (task() == Task.CLASSIFICATION ? "classes" : "targets") + ")";
    }
}
