package io.fedge.core.model;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

import java.util.List;
import java.util.Locale;

/**
 * The model architectures fedge ships, for 28x28 single-channel images and 10 classes
 * (Fashion-MNIST). All use plain SGD without momentum and a softmax cross-entropy loss; the
 * coordinator sets the learning rate per round.
 *
 * <ul>
 *   <li>{@code mlp}: 784-200-200-10 with ReLU (McMahan et al.'s 2NN), 199,210 parameters;
 *   <li>{@code cnn}: conv3x3(16, same) + ReLU + maxpool2, conv3x3(32, same) + ReLU + maxpool2,
 *       dense 128 + ReLU, dense 10 softmax; 206,922 parameters;
 *   <li>{@code simplecnn}: NIID-Bench's "simple CNN" (Li et al. 2022, the model of its
 *       Fashion-MNIST experiments): conv5x5(6) + ReLU + maxpool2, conv5x5(16) + ReLU + maxpool2,
 *       dense 120 + ReLU, dense 84 + ReLU, dense 10 softmax; 44,426 parameters.
 * </ul>
 */
public final class ModelPresets {
    /** The names {@link #byName} accepts. */
    public static final List<String> NAMES = List.of("mlp", "cnn", "simplecnn");

    private static final int HEIGHT = 28;
    private static final int WIDTH = 28;
    private static final int CLASSES = 10;

    private ModelPresets() {
    }

    /**
     * The preset called {@code name}.
     *
     * @throws IllegalArgumentException if no preset has that name
     */
    public static MultiLayerConfiguration byName(String name, long seed, double learningRate) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "mlp" -> mlp(seed, learningRate);
            case "cnn" -> cnn(seed, learningRate);
            case "simplecnn" -> simpleCnn(seed, learningRate);
            default -> throw new IllegalArgumentException("unknown model '" + name + "', expected one of " + NAMES);
        };
    }

    /**
     * The weight initialisation PyTorch gives {@code nn.Linear} and {@code nn.Conv2d} by default,
     * U(-1/sqrt(fanIn), 1/sqrt(fanIn)), so that fedge and the PyTorch reference start alike.
     */
    private static UniformDistribution torchDefault(int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return new UniformDistribution(-bound, bound);
    }

    /** McMahan et al.'s 2NN: 784-200-200-10, ReLU. */
    public static MultiLayerConfiguration mlp(long seed, double learningRate) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate))
                .list()
                .layer(new DenseLayer.Builder().nIn(HEIGHT * WIDTH).nOut(200)
                        .weightInit(torchDefault(HEIGHT * WIDTH)).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(200).weightInit(torchDefault(200)).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(CLASSES)
                        .weightInit(torchDefault(200)).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(HEIGHT * WIDTH))
                .build();
    }

    /** Two 3x3 convolutions with max pooling, one dense layer, softmax. */
    public static MultiLayerConfiguration cnn(long seed, double learningRate) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate))
                .convolutionMode(ConvolutionMode.Same)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).weightInit(torchDefault(9))
                        .activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(32).weightInit(torchDefault(16 * 9))
                        .activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(128).weightInit(torchDefault(32 * 7 * 7))
                        .activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(CLASSES)
                        .weightInit(torchDefault(128)).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(HEIGHT, WIDTH, 1))
                .build();
    }

    /** NIID-Bench's simple CNN: two 5x5 convolutions (6, 16) with max pooling, dense 120 and 84, softmax. */
    public static MultiLayerConfiguration simpleCnn(long seed, double learningRate) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate))
                .convolutionMode(ConvolutionMode.Truncate)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(6).weightInit(torchDefault(25))
                        .activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(16).weightInit(torchDefault(6 * 25))
                        .activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(120).weightInit(torchDefault(16 * 4 * 4))
                        .activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(84).weightInit(torchDefault(120)).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(CLASSES)
                        .weightInit(torchDefault(84)).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(HEIGHT, WIDTH, 1))
                .build();
    }
}
