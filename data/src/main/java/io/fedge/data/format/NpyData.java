package io.fedge.data.format;

import io.fedge.core.metrics.Task;
import io.fedge.core.model.InputShape;
import io.fedge.data.ClassLabels;
import io.fedge.data.Examples;
import io.fedge.data.RegressionTargets;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads labelled examples from two NumPy {@code .npy} files ({@link NpyArray}): the features,
 * of shape {@code (n, F)} (vectors), {@code (n, H, W)} (grey images) or {@code (n, C, H, W)}
 * (images, channel-first), and the labels, {@code (n,)} class indices for a classification (an
 * integer type; classes {@code "0"} up to the largest) or {@code (n,)} / {@code (n, T)} targets for
 * a regression. {@code |u1} features are 8-bit values, kept as bytes and scaled to [0, 1] like image
 * pixels; every other type is taken as the float it is. Stateless.
 */
public final class NpyData {
    /** The most classes a label file may hold. */
    public static final int MAX_CLASSES = 10_000;

    private NpyData() {
    }

    /**
     * Reads a features file and its labels file.
     *
     * @throws java.nio.file.NoSuchFileException if a file is not there
     * @throws io.fedge.core.FedgeException ({@code MALFORMED}) naming the file if it is malformed, of an
     *     unsupported type or shape, or the two files disagree in their number of examples
     */
    public static Examples read(Path features, Path labels, Task task) throws IOException {
        NpyArray x = NpyArray.open(features);
        NpyArray y = NpyArray.open(labels);
        int[] dims = x.shape();
        if (dims.length < 2 || dims.length > 4) {
            throw Malformed.of(features, "features of shape " + x.shapeString() + "; expected (n, F), (n, H, W) or "
                    + "(n, C, H, W)");
        }
        for (int d = 1; d < dims.length; d++) {
            if (dims[d] == 0) {
                throw Malformed.of(features, "features of shape " + x.shapeString() + " have an empty dimension");
            }
        }
        InputShape shape = switch (dims.length) {
            case 2 -> new InputShape.Vector(dims[1]);
            case 3 -> new InputShape.Image(1, dims[1], dims[2]);
            default -> new InputShape.Image(dims[1], dims[2], dims[3]);
        };
        int[] ydims = y.shape();
        if (ydims.length < 1 || ydims[0] != dims[0]) {
            throw Malformed.of(labels, "labels of shape " + y.shapeString() + ", but " + features + " holds "
                    + dims[0] + " examples");
        }
        if (task == Task.CLASSIFICATION) {
            if (ydims.length != 1) {
                throw Malformed.of(labels, "class labels must have shape (n,), found " + y.shapeString()
                        + (ydims.length == 2 ? " (one-hot labels? save numpy.argmax(y, axis=1))" : ""));
            }
            int[] classOf = y.nonNegativeInts(MAX_CLASSES - 1, "label");
            int max = 0;
            for (int c : classOf) {
                max = Math.max(max, c);
            }
            ClassLabels classes = ClassLabels.numbered(max + 1, classOf);
            return x.isBytes() ? Examples.ofBytes(shape, x.bytes(), classes, null)
                    : Examples.ofFloats(shape, x.floats(), classes, null);
        }
        if (ydims.length > 2 || ydims.length == 2 && ydims[1] == 0) {
            throw Malformed.of(labels, "regression targets must have shape (n,) or (n, T), found " + y.shapeString());
        }
        int t = ydims.length == 1 ? 1 : ydims[1];
        List<String> names = new ArrayList<>();
        for (int k = 0; k < t; k++) {
            names.add(Integer.toString(k));
        }
        RegressionTargets targets = new RegressionTargets(names, y.floats());
        return x.isBytes() ? Examples.ofBytes(shape, x.bytes(), targets, null)
                : Examples.ofFloats(shape, x.floats(), targets, null);
    }
}
