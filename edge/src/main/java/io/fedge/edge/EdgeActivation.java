package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Objects;

/**
 * The element-wise function a layer applies to its biased sums: identity, ReLU, leaky ReLU
 * ({@code v < 0 ? alpha * v : v}), tanh or the logistic sigmoid. Softmax is not one of them: an
 * edge model's last layer emits logits and {@link EdgeModel#predict} normalizes them.
 *
 * <p>In the full-integer mode the piecewise-linear ones are applied to the requantized sum (they
 * commute with a positive scale); tanh and sigmoid to the sum as a float, then quantized.
 *
 * @param kind the function
 * @param alpha the negative slope of {@link Kind#LEAKY_RELU}, in [0, 1); 0 for every other kind
 */
public record EdgeActivation(Kind kind, float alpha) {
    /** The functions the engine computes. The ordinal is the byte in the file: append only. */
    public enum Kind { IDENTITY, RELU, LEAKY_RELU, TANH, SIGMOID }

    public static final EdgeActivation IDENTITY = new EdgeActivation(Kind.IDENTITY, 0);
    public static final EdgeActivation RELU = new EdgeActivation(Kind.RELU, 0);
    public static final EdgeActivation TANH = new EdgeActivation(Kind.TANH, 0);
    public static final EdgeActivation SIGMOID = new EdgeActivation(Kind.SIGMOID, 0);

    public EdgeActivation {
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.LEAKY_RELU ? !(alpha >= 0 && alpha < 1) : alpha != 0) {
            throw new IllegalArgumentException(kind == Kind.LEAKY_RELU
                    ? "leaky ReLU's negative slope must be in [0, 1): " + alpha
                    : kind + " takes no parameter, got " + alpha);
        }
    }

    /** Leaky ReLU with negative slope {@code alpha}. */
    public static EdgeActivation leakyRelu(float alpha) {
        return new EdgeActivation(Kind.LEAKY_RELU, alpha);
    }

    /** The function at {@code v}. */
    public float apply(float v) {
        return switch (kind) {
            case IDENTITY -> v;
            case RELU -> v < 0 ? 0 : v;
            case LEAKY_RELU -> v < 0 ? alpha * v : v;
            case TANH -> (float) Math.tanh(v);
            case SIGMOID -> (float) (1 / (1 + Math.exp(-v)));
        };
    }

    /** Whether {@code f(k * v) = k * f(v)} for every {@code k > 0}: then it may act on requantized values. */
    public boolean positivelyHomogeneous() {
        return kind == Kind.IDENTITY || kind == Kind.RELU || kind == Kind.LEAKY_RELU;
    }

    /** The least int8 value an output can take: 0 where the function is never negative, else -127. */
    int lowestInt8() {
        return kind == Kind.RELU || kind == Kind.SIGMOID ? 0 : -127;
    }

    void write(DataOutputStream out) throws IOException {
        out.writeByte(kind.ordinal());
        if (kind == Kind.LEAKY_RELU) {
            out.writeFloat(alpha);
        }
    }

    static EdgeActivation read(DataInputStream in) throws IOException {
        int code = in.readUnsignedByte();
        if (code >= Kind.values().length) {
            throw new IOException("unknown activation " + code + " (known: 0-" + (Kind.values().length - 1) + ")");
        }
        Kind kind = Kind.values()[code];
        float alpha = kind == Kind.LEAKY_RELU ? in.readFloat() : 0;
        try {
            return new EdgeActivation(kind, alpha);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }

    @Override
    public String toString() {
        return kind == Kind.LEAKY_RELU ? "leaky ReLU (" + alpha + ")" : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
