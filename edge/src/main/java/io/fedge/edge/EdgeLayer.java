package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * One layer of an edge model. Layers work on int8 activations with one scale per tensor (value =
 * q * scale) in the full-integer mode, or on float activations with int8 weights in the
 * weight-only mode. Activations are laid out channel, row, column, like DL4J's NCHW flattened in
 * C order, so flattening an image for a dense layer moves nothing. Immutable and thread-safe.
 */
public sealed interface EdgeLayer permits QuantizedDense, SparseQuantizedDense, QuantizedConv2d, MaxPool2d, AvgPool2d,
        GlobalPool, ResidualBlock {
    /** The most values one activation tensor may hold. */
    int MAX_TENSOR = 1 << 24;
    /**
     * The most int8 products one output sums: {@code 127 * 127 * 131,072} stays below 2^31, so the
     * int32 accumulator cannot overflow.
     */
    int MAX_FAN_IN = 1 << 17;
    /** The most channels of an image tensor. */
    int MAX_CHANNELS = 1 << 16;

    /** The values this layer reads. */
    int inputSize();

    /** The values this layer produces. */
    int outputSize();

    /**
     * The shape this layer reads: {@code [channels, height, width]} for layers that slide over
     * images, {@code [n]} for layers that take any tensor of {@code n} values (a dense layer
     * flattens what it gets).
     */
    int[] inputShape();

    /** The shape this layer produces, as {@link #inputShape}. */
    int[] outputShape();

    /** Full-integer forward pass: int8 in, int8 out (the last layer: float logits into {@code logits}). */
    void forward(byte[] in, byte[] out, float[] logits);

    /** Weight-only forward pass: float activations. */
    void forward(float[] in, float[] out);

    /** Parameter bytes as stored (weights, scales, biases). */
    long storedBytes();

    /** Writes the layer in the current format ({@link EdgeModel}'s format 2), type byte first. */
    void write(DataOutputStream out) throws IOException;

    /** Reads a layer of file format {@code format} (1 or 2), type byte first. */
    static EdgeLayer read(DataInputStream in, int format) throws IOException {
        return read(in, format, true);
    }

    /** As {@link #read(DataInputStream, int)}; {@code blocks}: whether a residual block may appear here. */
    static EdgeLayer read(DataInputStream in, int format, boolean blocks) throws IOException {
        int type = in.readUnsignedByte();
        if (format == 1) {
            return switch (type) {
                case QuantizedDense.TYPE -> QuantizedDense.read(in, format);
                case QuantizedConv2d.TYPE -> QuantizedConv2d.readFormat1(in, false);
                case MaxPool2d.TYPE -> MaxPool2d.readFormat1(in);
                case SparseQuantizedDense.TYPE -> SparseQuantizedDense.read(in, format);
                case QuantizedConv2d.TYPE_SPARSE -> QuantizedConv2d.readFormat1(in, true);
                default -> throw new IOException("unknown layer type " + type + " in a format-1 file");
            };
        }
        return switch (type) {
            case QuantizedDense.TYPE -> QuantizedDense.read(in, format);
            case QuantizedConv2d.TYPE -> QuantizedConv2d.read(in, false);
            case MaxPool2d.TYPE -> MaxPool2d.read(in);
            case SparseQuantizedDense.TYPE -> SparseQuantizedDense.read(in, format);
            case QuantizedConv2d.TYPE_SPARSE -> QuantizedConv2d.read(in, true);
            case AvgPool2d.TYPE -> AvgPool2d.read(in);
            case GlobalPool.TYPE -> GlobalPool.read(in);
            case ResidualBlock.TYPE -> {
                if (!blocks) {
                    throw new IOException("a residual block inside a residual block");
                }
                yield ResidualBlock.read(in, format);
            }
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
            throw new IOException(what + " out of range: " + n + " (1 to " + max + ")");
        }
        return n;
    }

    /**
     * Refuses to allocate for {@code bytes} the stream does not hold: a short, hostile file cannot
     * make the reader allocate what its header claims.
     */
    static void requireBytes(DataInputStream in, long bytes, String what) throws IOException {
        if (bytes > in.available()) {
            throw new IOException(what + " need " + bytes + " bytes, the file has " + in.available() + " left");
        }
    }

    /** The product of the dimensions. */
    static long size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }
}
