package io.fedge.core.model;

import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * The shape of one example as fedge's data sets hold it: a feature vector, or an image of
 * {@code channels x height x width} stored flat and channel-first (the order DL4J's
 * {@code InputType.convolutionalFlat} reads). Either way a batch is a {@code [n, size()]} matrix.
 */
public sealed interface InputShape {
    /** Values per example. */
    long size();

    /** The DL4J input type of a network that reads this shape from flat rows. */
    InputType inputType();

    /** A feature vector of {@code length} values (a CSV row, say). */
    record Vector(int length) implements InputShape {
        public Vector {
            if (length <= 0) {
                throw new IllegalArgumentException("a feature vector needs at least one value: " + length);
            }
        }

        @Override
        public long size() {
            return length;
        }

        @Override
        public InputType inputType() {
            return InputType.feedForward(length);
        }

        @Override
        public String toString() {
            return Integer.toString(length);
        }
    }

    /** An image of {@code channels x height x width}. */
    record Image(int channels, int height, int width) implements InputShape {
        public Image {
            if (channels <= 0 || height <= 0 || width <= 0) {
                throw new IllegalArgumentException("image dimensions must be positive: " + channels + "x" + height
                        + "x" + width);
            }
        }

        @Override
        public long size() {
            return (long) channels * height * width;
        }

        @Override
        public InputType inputType() {
            return InputType.convolutionalFlat(height, width, channels);
        }

        @Override
        public String toString() {
            return channels + "x" + height + "x" + width;
        }
    }

    /** Fashion-MNIST's 28x28 grey images. */
    InputShape FASHION_MNIST = new Image(1, 28, 28);
}
