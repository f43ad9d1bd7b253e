package io.fedge.core.model.lean;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A 2-D convolution, DL4J's {@code ConvolutionLayer} on row-major {@code [n, C, H, W]} images, as
 * libnd4j's {@code conv2d} and {@code conv2d_bp} operations (oneDNN's kernels where the build has
 * them, as DL4J's own helper runs), called once each per step on buffers allocated once, with
 * DL4J's weights {@code [out, in, kH, kW]} and their gradient as views of the flat vectors. The
 * output here is the pre-activation: the activation is applied by the max pooling above it where
 * one follows ({@link LeanMaxPooling}: ReLU commutes with the maximum), else by a
 * {@link LeanActivationLayer}.
 */
final class LeanConvolution implements LeanLayer {
    private final int inChannels;
    private final int inHeight;
    private final int inWidth;
    private final int outChannels;
    private final int outHeight;
    private final int outWidth;
    private final int[] arguments;
    private final INDArray weights;
    private final INDArray bias;
    private final INDArray weightGradient;
    private final INDArray biasGradient;
    private final BatchBuffer outputs;
    private final BatchBuffer outputGradients;
    /** Room for the input gradient of a first layer, which conv2d_bp computes whether needed or not. */
    private final BatchBuffer unusedInputGradients;
    private final String description;
    private INDArray input;
    private int n;

    /**
     * @param arguments libnd4j's integer arguments: kernel, stride, padding, dilation (height, width
     *     each), same mode (1) or not (0), NCHW (0), weights {@code [out, in, kH, kW]} (1)
     */
    LeanConvolution(int inChannels, int inHeight, int inWidth, int outChannels, int outHeight, int outWidth,
                    int[] arguments, INDArray weights, INDArray bias, INDArray weightGradient,
                    INDArray biasGradient, String description) {
        this.inChannels = inChannels;
        this.inHeight = inHeight;
        this.inWidth = inWidth;
        this.outChannels = outChannels;
        this.outHeight = outHeight;
        this.outWidth = outWidth;
        this.arguments = arguments.clone();
        this.weights = weights;
        this.bias = bias;
        this.weightGradient = weightGradient;
        this.biasGradient = biasGradient;
        this.outputs = BatchBuffer.images(outChannels, outHeight, outWidth);
        this.outputGradients = BatchBuffer.images(outChannels, outHeight, outWidth);
        this.unusedInputGradients = BatchBuffer.images(inChannels, inHeight, inWidth);
        this.description = description;
    }

    int outChannels() {
        return outChannels;
    }

    int outHeight() {
        return outHeight;
    }

    int outWidth() {
        return outWidth;
    }

    long inputsPerExample() {
        return (long) inChannels * inHeight * inWidth;
    }

    @Override
    public INDArray forward(INDArray x, int examples) {
        if (x.rank() == 2) {
            x = x.reshape('c', examples, inChannels, inHeight, inWidth); // rows, as DL4J's FeedForwardToCnnPreProcessor
        }
        this.input = x;
        this.n = examples;
        INDArray z = outputs.rows(examples);
        DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d");
        if (bias != null) {
            op.addInputs(x, weights, bias);
        } else {
            op.addInputs(x, weights);
        }
        Nd4j.exec(op.addOutputs(z).addIntegerArguments(arguments).build());
        return z;
    }

    @Override
    public INDArray outputGradient(int examples) {
        return outputGradients.rows(examples);
    }

    @Override
    public void backward(INDArray below) {
        INDArray dz = outputGradients.rows(n);
        INDArray dx = below != null ? below : unusedInputGradients.rows(n);
        DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d_bp");
        if (bias != null) {
            op.addInputs(input, weights, bias, dz).addOutputs(dx, weightGradient, biasGradient);
        } else {
            op.addInputs(input, weights, dz).addOutputs(dx, weightGradient);
        }
        Nd4j.exec(op.addIntegerArguments(arguments).build());
    }

    @Override
    public String describe() {
        return description;
    }
}
