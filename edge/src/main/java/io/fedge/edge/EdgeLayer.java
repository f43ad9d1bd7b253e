package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * One layer of an edge model. Layers work on int8 activations with one scale per tensor (value =
 * q * scale) in the full-integer mode, or on float activations with int8 weights in the
 * weight-only mode. Activations are laid out channel, row, column, like DL4J's NCHW flattened in
 * C order. Immutable and thread-safe.
 */
public sealed interface EdgeLayer permits QuantizedDense, SparseQuantizedDense, QuantizedConv2d, MaxPool2d {
    /** The values this layer reads. */
    int inputSize();

    /** The values this layer produces. */
    int outputSize();

    /** Full-integer forward pass: int8 in, int8 out (the last layer: float logits into {@code logits}). */
    void forward(byte[] in, byte[] out, float[] logits);

    /** Weight-only forward pass: float activations. */
    void forward(float[] in, float[] out);

    /** Parameter bytes as stored (weights, scales, biases). */
    long storedBytes();

    void write(DataOutputStream out) throws IOException;

    static EdgeLayer read(DataInputStream in) throws IOException {
        int type = in.readUnsignedByte();
        return switch (type) {
            case QuantizedDense.TYPE -> QuantizedDense.read(in);
            case QuantizedConv2d.TYPE -> QuantizedConv2d.read(in);
            case MaxPool2d.TYPE -> MaxPool2d.read(in);
            case SparseQuantizedDense.TYPE -> SparseQuantizedDense.read(in);
            case QuantizedConv2d.TYPE_SPARSE -> QuantizedConv2d.readSparse(in);
            default -> throw new IOException("unknown layer type " + type);
        };
    }

    /** Rounds to nearest, ties to even (as ONNX's QuantizeLinear does), and clamps to the symmetric int8 range. */
    static byte saturate(float v) {
        return (byte) Math.max(-127, Math.min(127, (int) Math.rint(v)));
    }

    /** As {@link #saturate}, with the lower bound given (0 after a ReLU, -127 otherwise). */
    static byte saturate(float v, int low) {
        return (byte) Math.max(low, Math.min(127, (int) Math.rint(v)));
    }

    static int checkedSize(DataInputStream in, String what, int max) throws IOException {
        int n = in.readInt();
        if (n <= 0 || n > max) {
            throw new IOException(what + " out of range: " + n);
        }
        return n;
    }
}
