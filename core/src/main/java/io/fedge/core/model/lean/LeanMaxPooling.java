package io.fedge.core.model.lean;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * 2x2 max pooling with stride 2 over row-major images, DL4J's {@code SubsamplingLayer}, with the
 * activation below it (a convolution's, or an {@code ActivationLayer}'s: ReLU or identity) folded
 * in: {@code max(relu(z)) = relu(max(z))}, so the activation runs on a quarter of the values. The forward keeps, per window, which of its
 * four inputs took the maximum (the first in row-major order, as DL4J's pooling), or that ReLU cut
 * it; the backward routes each gradient to that input and zeros to the rest, which is DL4J's
 * pooling backward followed by ReLU's ({@code z > 0}) for the layer below.
 *
 * <p>Work is on heap copies: one bulk copy of the images in, one of the pooled
 * output out (and the reverse in the backward).
 */
final class LeanMaxPooling implements LeanLayer {
    private final int channels;
    private final int height;
    private final int width;
    private final boolean relu;
    private final BatchBuffer outputs;
    private final BatchBuffer outputGradients;
    private float[] in = new float[0];
    private float[] out = new float[0];
    /** Per window: 0-3, the input that took the maximum, or -1 where ReLU zeroed it. */
    private byte[] taken = new byte[0];
    private int n;

    /**
     * @param image the images pooled, {@code [channels, height, width]} (even height and width)
     * @param relu whether ReLU, the activation below, is folded in
     */
    LeanMaxPooling(long[] image, boolean relu) {
        this.channels = Math.toIntExact(image[0]);
        this.height = Math.toIntExact(image[1]);
        this.width = Math.toIntExact(image[2]);
        this.relu = relu;
        this.outputs = BatchBuffer.images(channels, height / 2, width / 2);
        this.outputGradients = BatchBuffer.images(channels, height / 2, width / 2);
    }

    @Override
    public INDArray forward(INDArray z, int examples) {
        this.n = examples;
        int inLength = examples * channels * height * width;
        int outLength = inLength / 4;
        if (in.length < inLength) {
            in = new float[inLength];
            out = new float[outLength];
            taken = new byte[outLength];
        }
        HostFloats.buffer(z).get(0, in, 0, inLength);
        int rows = examples * channels * height / 2;
        int half = width / 2;
        int o = 0;
        // branch-free: which input of a window is the maximum is data-dependent, and mispredicted
        // branches on it cost more than the comparisons (ties go to the first in row-major order)
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (int r = 0; r < rows; r++) {
            int a = 2 * r * width;
            for (int j = 0; j < half; j++, a += 2, o++) {
                float v0 = in[a];
                float v1 = in[a + 1];
                float v2 = in[a + width];
                float v3 = in[a + width + 1];
                float m01 = Math.max(v0, v1);
                int i01 = v1 > v0 ? 1 : 0;
                float m23 = Math.max(v2, v3);
                int i23 = v3 > v2 ? 3 : 2;
                float m = Math.max(m01, m23);
                int at = m23 > m01 ? i23 : i01;
                boolean cut = !(m > floor); // ReLU zeroes the window: no gradient reaches any input
                out[o] = cut ? 0f : m;
                taken[o] = (byte) (cut ? -1 : at);
            }
        }
        INDArray pooled = outputs.rows(examples);
        HostFloats.write(out, outputs.host(), outLength);
        return pooled;
    }

    @Override
    public INDArray outputGradient(int examples) {
        return outputGradients.rows(examples);
    }

    @Override
    public void backward(INDArray below) {
        int inLength = n * channels * height * width;
        int outLength = inLength / 4;
        outputGradients.rows(n);
        HostFloats.read(outputGradients.host(), out, outLength);
        int rows = n * channels * height / 2;
        int half = width / 2;
        int o = 0;
        for (int r = 0; r < rows; r++) {
            int a = 2 * r * width;
            for (int j = 0; j < half; j++, a += 2, o++) {
                int at = taken[o];
                float d = out[o];
                in[a] = at == 0 ? d : 0f;
                in[a + 1] = at == 1 ? d : 0f;
                in[a + width] = at == 2 ? d : 0f;
                in[a + width + 1] = at == 3 ? d : 0f;
            }
        }
        HostFloats.buffer(below).put(0, in, 0, inLength);
    }

    @Override
    public String describe() {
        return "maxpool 2x2" + (relu ? " relu" : "");
    }
}
