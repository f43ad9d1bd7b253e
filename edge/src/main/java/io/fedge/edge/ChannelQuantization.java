package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * What every layer with weights shares in int8 inference: one symmetric weight scale per output
 * channel, int32 biases in units of {@code inputScale * weightScale}, the scales of the layer's input
 * and int8 output, and whether a ReLU follows; plus the per-channel multipliers the engine uses,
 * computed once. Immutable and thread-safe.
 */
public final class ChannelQuantization {
    private final float[] weightScales;
    private final int[] biases;
    private final float inputScale;
    private final float outputScale;
    private final boolean relu;
    /** Per channel: inputScale * weightScale / outputScale, the requantization multiplier. */
    private final float[] requantize;
    /** Per channel: inputScale * weightScale, the value of one accumulator unit. */
    private final float[] unit;
    /** Per channel: the bias as a float, for the weight-only path. */
    private final float[] floatBiases;

    public ChannelQuantization(float[] weightScales, int[] biases, float inputScale, float outputScale, boolean relu) {
        if (weightScales.length != biases.length) {
            throw new IllegalArgumentException(weightScales.length + " scales for " + biases.length + " biases");
        }
        int n = weightScales.length;
        this.weightScales = weightScales.clone();
        this.biases = biases.clone();
        this.inputScale = inputScale;
        this.outputScale = outputScale;
        this.relu = relu;
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

    public boolean relu() {
        return relu;
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

    /** Channel {@code o}'s int32 accumulator as an int8 activation (ReLU applied). */
    byte requantize(int o, int acc) {
        return EdgeLayer.saturate(acc * requantize[o], relu ? 0 : -127);
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
        float v = scaledSum + floatBiases[o];
        return relu && v < 0 ? 0 : v;
    }

    /** Scales and biases as stored: 8 bytes per channel. */
    long storedBytes() {
        return 8L * channels();
    }

    void write(DataOutputStream s) throws IOException {
        s.writeBoolean(relu);
        s.writeFloat(inputScale);
        s.writeFloat(outputScale);
        for (float f : weightScales) {
            s.writeFloat(f);
        }
        for (int b : biases) {
            s.writeInt(b);
        }
    }

    static ChannelQuantization read(DataInputStream s, int channels) throws IOException {
        boolean relu = s.readBoolean();
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
        return new ChannelQuantization(scales, b, inScale, outScale, relu);
    }
}
