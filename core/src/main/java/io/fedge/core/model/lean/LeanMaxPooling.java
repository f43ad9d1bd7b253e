package io.fedge.core.model.lean;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * 2x2 max pooling with stride 2 over a convolution's output, DL4J's {@code SubsamplingLayer}, with
 * the convolution's activation (ReLU or identity) folded in: {@code max(relu(z)) = relu(max(z))},
 * so the activation runs on a quarter of the values. The forward keeps, per window, which of its
 * four inputs took the maximum (the first in row-major order, as DL4J's pooling), or that ReLU cut
 * it; the backward routes each gradient to that input and zeros to the rest, which is DL4J's
 * pooling backward followed by ReLU's ({@code z > 0}) for the convolution.
 *
 * <p>Work is on heap copies: one bulk copy of the convolution's output in, one of the pooled
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
     * @param below the convolution whose output this pools (its buffers are read and written here)
     */
    LeanMaxPooling(LeanConvolution below, boolean relu) {
        this.channels = below.outChannels();
        this.height = below.outHeight();
        this.width = below.outWidth();
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
        for (int r = 0; r < rows; r++) {
            int a = 2 * r * width;
            for (int j = 0; j < half; j++, a += 2, o++) {
                float v0 = in[a];
                float v1 = in[a + 1];
                float v2 = in[a + width];
                float v3 = in[a + width + 1];
                float m = Math.max(Math.max(v0, v1), Math.max(v2, v3));
                if (relu && !(m > 0f)) {
                    out[o] = 0f;
                    taken[o] = -1;
                } else {
                    out[o] = m;
                    taken[o] = (byte) (v0 == m ? 0 : v1 == m ? 1 : v2 == m ? 2 : 3);
                }
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
        java.util.Arrays.fill(in, 0, inLength, 0f);
        int rows = n * channels * height / 2;
        int half = width / 2;
        int o = 0;
        for (int r = 0; r < rows; r++) {
            int a = 2 * r * width;
            for (int j = 0; j < half; j++, a += 2, o++) {
                switch (taken[o]) {
                    case 0 -> in[a] = out[o];
                    case 1 -> in[a + 1] = out[o];
                    case 2 -> in[a + width] = out[o];
                    case 3 -> in[a + width + 1] = out[o];
                    default -> {
                    }
                }
            }
        }
        HostFloats.buffer(below).put(0, in, 0, inLength);
    }

    @Override
    public String describe() {
        return "maxpool 2x2" + (relu ? " relu" : "");
    }
}
