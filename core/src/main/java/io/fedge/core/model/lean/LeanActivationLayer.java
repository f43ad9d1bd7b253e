package io.fedge.core.model.lean;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An activation on its own: DL4J's {@code ActivationLayer}, or the activation of a convolution
 * whose output goes somewhere other than a max pooling that could fold it in (a batch
 * normalization, another convolution, a dense layer). Element-wise on a heap copy, so the output
 * keeps the input's layout: column-major rows or row-major images.
 */
final class LeanActivationLayer implements LeanLayer {
    private final LeanActivation activation;
    private final BatchBuffer outputs;
    private final BatchBuffer outputGradients;
    private final long perExample;
    private final String source;
    private float[] a = new float[0];
    private float[] d = new float[0];
    private int n;

    private LeanActivationLayer(LeanActivation activation, BatchBuffer outputs, BatchBuffer outputGradients,
                                String source) {
        this.activation = activation;
        this.outputs = outputs;
        this.outputGradients = outputGradients;
        this.perExample = outputs.perExample();
        this.source = source;
    }

    /** Over column-major {@code [n, width]} rows. */
    static LeanActivationLayer rows(LeanActivation activation, long width, String source) {
        return new LeanActivationLayer(activation, BatchBuffer.columns(width), BatchBuffer.columns(width), source);
    }

    /** Over row-major {@code [n, channels, height, width]} images. */
    static LeanActivationLayer images(LeanActivation activation, long[] image, String source) {
        return new LeanActivationLayer(activation, BatchBuffer.images(image[0], image[1], image[2]),
                BatchBuffer.images(image[0], image[1], image[2]), source);
    }

    @Override
    public INDArray forward(INDArray x, int examples) {
        this.n = examples;
        int length = Math.toIntExact(examples * perExample);
        if (a.length < length) {
            a = new float[length];
            d = new float[length];
        }
        HostFloats.buffer(x).get(0, a, 0, length);
        activation.apply(a, length);
        INDArray y = outputs.rows(examples);
        HostFloats.write(a, outputs.host(), length);
        return y;
    }

    @Override
    public INDArray outputGradient(int examples) {
        return outputGradients.rows(examples);
    }

    @Override
    public void backward(INDArray below) {
        if (below == null) {
            return;
        }
        int length = Math.toIntExact(n * perExample);
        outputGradients.rows(n);
        HostFloats.read(outputGradients.host(), d, length);
        activation.backprop(a, d, length);
        HostFloats.buffer(below).put(0, d, 0, length);
    }

    @Override
    public String describe() {
        return activation.name().toLowerCase(java.util.Locale.ROOT) + (source.isEmpty() ? "" : " (" + source + ")");
    }
}
