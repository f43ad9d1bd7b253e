package io.fedge.edge;

import java.util.Arrays;
import java.util.List;

/** The shape check every chain of layers passes: each layer reads what the one before produces. */
final class LayerChain {
    private LayerChain() {
    }

    /**
     * The shape the chain produces from {@code shape}. A layer reading {@code n} values takes any
     * tensor of {@code n} values (a vector into a convolution is the same channel-first image); a
     * layer that slides over images takes an image only of exactly its shape.
     *
     * @throws IllegalArgumentException naming the first layer that does not fit
     */
    static int[] check(int[] shape, List<EdgeLayer> layers, String where) {
        int[] current = shape;
        for (int i = 0; i < layers.size(); i++) {
            EdgeLayer l = layers.get(i);
            long size = EdgeLayer.size(current);
            if (l.inputSize() != size) {
                throw new IllegalArgumentException(where + "layer " + i + " (" + l.getClass().getSimpleName() + ") reads "
                        + l.inputSize() + " values but gets " + size + " (" + describe(current) + ")");
            }
            int[] wanted = l.inputShape();
            if (wanted.length == 3 && current.length == 3 && !Arrays.equals(wanted, current)) {
                throw new IllegalArgumentException(where + "layer " + i + " (" + l.getClass().getSimpleName()
                        + ") reads " + describe(wanted) + " but gets " + describe(current));
            }
            current = l.outputShape();
        }
        return current;
    }

    static String describe(int[] shape) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            b.append(i == 0 ? "" : "x").append(shape[i]);
        }
        return b.toString();
    }
}
