package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * What every layer with weights shares in int8 inference: one symmetric weight scale per output
 * channel, int32 biases in units of {@code inputScale * weightScale}, the scales of the layer's input
 * and int8 output, and the activation that follows; plus the per-channel multipliers the engine
 * uses, computed once. Immutable and thread-safe.
 */
public final class ChannelQuantization {
    private final float[] weightScales;
    private final int[] biases;
    private final float inputScale;
    private final float outputScale;
    private final EdgeActivation activation;
    /** Identity or ReLU: requantize by one multiply and a clamp. */
    private final boolean linear;
    private final int lowest;
    private final float inverseOutputScale;
    /** Per channel: inputScale * weightScale / outputScale, the requantization multiplier. */
    private final float[] requantize;
    /** Per channel: inputScale * weightScale, the value of one accumulator unit. */
    private final float[] unit;
    /** Per channel: the bias as a float, for the weight-only path. */
    private final float[] floatBiases;

    /** As below, with a ReLU or nothing after the sum. */
    public ChannelQuantization(float[] weightScales, int[] biases, float inputScale, float outputScale, boolean relu) {
        this(weightScales, biases, inputScale, outputScale, relu ? EdgeActivation.RELU : EdgeActivation.IDENTITY);
    }

    /**
     * @param weightScales one per output channel: weight = int8 * scale
     * @param biases one per output channel, in units of {@code inputScale * weightScale}
     * @param inputScale the int8 scale of the layer's input (full-integer mode)
     * @param outputScale the int8 scale of its output; 0 for the last layer, whose output is float logits
     * @param activation what follows the biased sum
     * @throws IllegalArgumentException if the lengths differ or a scale is negative or not finite
     */
    public ChannelQuantization(float[] weightScales, int[] biases, float inputScale, float outputScale,
                               EdgeActivation activation) {
        if (weightScales.length != biases.length) {
            throw new IllegalArgumentException(weightScales.length + " scales for " + biases.length + " biases");
        }
        int n = weightScales.length;
        this.weightScales = weightScales.clone();
        this.biases = biases.clone();
        this.inputScale = inputScale;
        this.outputScale = outputScale;
        this.activation = java.util.Objects.requireNonNull(activation, "activation");
        if (!(inputScale >= 0 && Float.isFinite(inputScale)) || !(outputScale >= 0 && Float.isFinite(outputScale))) {
            throw new IllegalArgumentException("scales must be finite and non-negative: input " + inputScale
                    + ", output " + outputScale);
        }
        for (float s : weightScales) {
            if (!(s >= 0 && Float.isFinite(s))) {
                throw new IllegalArgumentException("weight scales must be finite and non-negative: " + s);
            }
        }
        this.linear = activation.kind() == EdgeActivation.Kind.IDENTITY || activation.kind() == EdgeActivation.Kind.RELU;
        this.lowest = activation.lowestInt8();
        this.inverseOutputScale = outputScale > 0 ? 1 / outputScale : 0;
        this.requantize = new float[n];
        this.unit = new float[n];
        this.floatBiases = new float[n];
        for (int o = 0; o < n; o++) {
            unit[o] = inputScale * weightScales[o];
            requantize[o] = outputScale > 0 ? unit[o] / outputScale : 0;
            floatBiases[o] = biases[o] * unit[o];
        }
    }

    public int channels() {
        return weightScales.length;
    }

    public float[] weightScales() {
        return weightScales.clone();
    }

    public int[] biases() {
        return biases.clone();
    }

    public float inputScale() {
        return inputScale;
    }

    public float outputScale() {
        return outputScale;
    }

    /** What follows the biased sum. */
    public EdgeActivation activation() {
        return activation;
    }

    /**
     * Checks that an int32 accumulator of {@code fanIn} int8 products plus a bias cannot overflow:
     * {@code |bias| + 127 * 127 * fanIn <= 2^31 - 1} for every channel.
     *
     * @throws IllegalArgumentException naming the channel if it could
     */
    void checkAccumulator(long fanIn) {
        long products = 127L * 127L * fanIn;
        for (int o = 0; o < biases.length; o++) {
            if (Math.abs((long) biases[o]) + products > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("channel " + o + ": bias " + biases[o] + " plus " + fanIn
                        + " int8 products can overflow the int32 accumulator");
            }
        }
    }

    /** The biases as floats ({@code bias * inputScale * weightScale}), as a float runtime adds them. */
    public float[] floatBiases() {
        return floatBiases.clone();
    }

    int bias(int o) {
        return biases[o];
    }

    float weightScale(int o) {
        return weightScales[o];
    }

    /** Channel {@code o}'s int32 accumulator as an int8 activation (activation applied). */
    byte requantize(int o, int acc) {
        if (linear) {
            return EdgeLayer.saturate(acc * requantize[o], lowest);
        }
        if (activation.positivelyHomogeneous()) {
            return EdgeLayer.saturate(activation.apply(acc * requantize[o]), lowest);
        }
        return EdgeLayer.saturate(activation.apply(acc * unit[o]) * inverseOutputScale, lowest);
    }

    /** Channel {@code o}'s int32 accumulator as a float logit (the last layer). */
    float logit(int o, int acc) {
        return acc * unit[o];
    }

    /** Weight-only path: channel {@code o}'s float sum of {@code x * q} made a scaled, biased, activated value. */
    float activate(int o, float sum) {
        return biasAndActivate(o, sum * weightScales[o]);
    }

    /** Weight-only path: channel {@code o}'s already scaled sum, biased and activated. */
    float biasAndActivate(int o, float scaledSum) {
        return activation.apply(scaledSum + floatBiases[o]);
    }

    /** Scales and biases as stored: 8 bytes per channel. */
    long storedBytes() {
        return 8L * channels();
    }

    /** Format 2: activation, scales, biases. */
    void write(DataOutputStream s) throws IOException {
        activation.write(s);
        s.writeFloat(inputScale);
        s.writeFloat(outputScale);
        for (float f : weightScales) {
            s.writeFloat(f);
        }
        for (int b : biases) {
            s.writeInt(b);
        }
    }

    /** Format 1 stored a ReLU flag where format 2 stores the activation. */
    static ChannelQuantization read(DataInputStream s, int channels, int format) throws IOException {
        EdgeActivation activation = format == 1
                ? (s.readBoolean() ? EdgeActivation.RELU : EdgeActivation.IDENTITY)
                : EdgeActivation.read(s);
        EdgeLayer.requireBytes(s, 8L + 8L * channels, "scales and biases of " + channels + " channels");
        float inScale = EdgeModel.readScale(s);
        float outScale = EdgeModel.readScale(s);
        float[] scales = new float[channels];
        for (int i = 0; i < channels; i++) {
            scales[i] = EdgeModel.readScale(s);
        }
        int[] b = new int[channels];
        for (int i = 0; i < channels; i++) {
            b[i] = s.readInt();
        }
        try {
            return new ChannelQuantization(scales, b, inScale, outScale, activation);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
