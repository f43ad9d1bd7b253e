package io.fedge.core.model;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
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
 *   <li>{@code cnn-bn}: the cnn with batch normalization between each convolution and its ReLU
 *       (the convolutions without bias, as BatchNorm's beta takes its place); 207,066 parameters,
 *       192 of them BatchNorm's (96 running statistics);
 *   <li>{@code simplecnn}: NIID-Bench's "simple CNN" (Li et al. 2022, the model of its
 *       Fashion-MNIST experiments): conv5x5(6) + ReLU + maxpool2, conv5x5(16) + ReLU + maxpool2,
 *       dense 120 + ReLU, dense 84 + ReLU, dense 10 softmax; 44,426 parameters.
 * </ul>
 */
public final class ModelPresets {
    /** The names {@link #byName} accepts. */
    public static final List<String> NAMES = List.of("mlp", "cnn", "cnn-bn", "simplecnn");

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
        return byName(name, seed, learningRate, InputShape.FASHION_MNIST, CLASSES);
    }

    /**
     * The preset called {@code name} for examples of {@code shape} and {@code classes} classes.
     * The {@code mlp} takes any shape (an image as its flat pixels); the convolutional presets need
     * an image large enough for their convolutions and poolings.
     *
     * @throws IllegalArgumentException if no preset has that name, or it cannot take the shape
     */
    public static MultiLayerConfiguration byName(String name, long seed, double learningRate, InputShape shape,
                                                 int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes: " + classes);
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "mlp" -> mlp(seed, learningRate, Math.toIntExact(shape.size()), classes);
            case "cnn" -> cnn(seed, learningRate, image(name, shape, 4), classes);
            case "cnn-bn" -> cnnBatchNorm(seed, learningRate, image(name, shape, 4), classes);
            case "simplecnn" -> simpleCnn(seed, learningRate, image(name, shape, 16), classes);
            default -> throw new IllegalArgumentException("unknown model '" + name + "', expected one of " + NAMES);
        };
    }

    private static InputShape.Image image(String preset, InputShape shape, int minSide) {
        if (!(shape instanceof InputShape.Image img)) {
            throw new IllegalArgumentException("model '" + preset + "' is convolutional and needs images, but the data "
                    + "are feature vectors of " + shape + " values; use 'mlp' or give a model configuration");
        }
        if (img.height() < minSide || img.width() < minSide) {
            throw new IllegalArgumentException("model '" + preset + "' needs images of at least " + minSide + "x"
                    + minSide + ", got " + img);
        }
        return img;
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
        return mlp(seed, learningRate, HEIGHT * WIDTH, CLASSES);
    }

    /** The 2NN for {@code inputs} features and {@code classes} classes: inputs-200-200-classes, ReLU. */
    public static MultiLayerConfiguration mlp(long seed, double learningRate, int inputs, int classes) {
        return mlpWithOutput(seed, learningRate, inputs, new OutputLayer.Builder(LossFunction.MCXENT).nOut(classes)
                .weightInit(torchDefault(200)).activation(Activation.SOFTMAX).build());
    }

    /**
     * The 2NN's body (inputs-200-200, ReLU) with a linear output of {@code targets} values and the
     * mean-squared-error loss: the {@code mlp} preset for a regression.
     */
    public static MultiLayerConfiguration mlpRegression(long seed, double learningRate, int inputs, int targets) {
        return mlpWithOutput(seed, learningRate, inputs, new OutputLayer.Builder(LossFunction.MSE).nOut(targets)
                .weightInit(torchDefault(200)).activation(Activation.IDENTITY).build());
    }

    private static MultiLayerConfiguration mlpWithOutput(long seed, double learningRate, int inputs, OutputLayer output) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate))
                .list()
                .layer(new DenseLayer.Builder().nIn(inputs).nOut(200)
                        .weightInit(torchDefault(inputs)).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(200).weightInit(torchDefault(200)).activation(Activation.RELU).build())
                .layer(output)
                .setInputType(InputType.feedForward(inputs))
                .build();
    }

    /** Two 3x3 convolutions with max pooling, one dense layer, softmax. */
    public static MultiLayerConfiguration cnn(long seed, double learningRate) {
        return cnn(seed, learningRate, (InputShape.Image) InputShape.FASHION_MNIST, CLASSES);
    }

    /** The cnn for images of {@code shape} and {@code classes} classes. */
    public static MultiLayerConfiguration cnn(long seed, double learningRate, InputShape.Image shape, int classes) {
        return cnn(seed, learningRate, shape, classes, false);
    }

    /** The cnn with batch normalization after each convolution, before its ReLU. */
    public static MultiLayerConfiguration cnnBatchNorm(long seed, double learningRate, InputShape.Image shape,
                                                       int classes) {
        return cnn(seed, learningRate, shape, classes, true);
    }

    private static MultiLayerConfiguration cnn(long seed, double learningRate, InputShape.Image shape, int classes,
                                               boolean batchNorm) {
        int c = shape.channels();
        int flat = 32 * ((shape.height() + 3) / 4) * ((shape.width() + 3) / 4); // two 'same' poolings of 2: ceil twice
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate))
                .convolutionMode(ConvolutionMode.Same)
                .list();
        int in = c;
        for (int out : new int[] {16, 32}) {
            // with BatchNorm, its beta is the convolution's bias and the ReLU comes after it
            layers.layer(new ConvolutionLayer.Builder(3, 3).nOut(out).hasBias(!batchNorm).weightInit(torchDefault(in * 9))
                    .activation(batchNorm ? Activation.IDENTITY : Activation.RELU).build());
            if (batchNorm) {
                layers.layer(new BatchNormalization.Builder().build())
                        .layer(new ActivationLayer.Builder().activation(Activation.RELU).build());
            }
            layers.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                    .build());
            in = out;
        }
        return layers
                .layer(new DenseLayer.Builder().nOut(128).weightInit(torchDefault(flat))
                        .activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(classes)
                        .weightInit(torchDefault(128)).activation(Activation.SOFTMAX).build())
                .setInputType(shape.inputType())
                .build();
    }

    /** NIID-Bench's simple CNN: two 5x5 convolutions (6, 16) with max pooling, dense 120 and 84, softmax. */
    public static MultiLayerConfiguration simpleCnn(long seed, double learningRate) {
        return simpleCnn(seed, learningRate, (InputShape.Image) InputShape.FASHION_MNIST, CLASSES);
    }

    /** The simple CNN for images of {@code shape} and {@code classes} classes. */
    public static MultiLayerConfiguration simpleCnn(long seed, double learningRate, InputShape.Image shape,
                                                    int classes) {
        int c = shape.channels();
        int flat = 16 * (((shape.height() - 4) / 2 - 4) / 2) * (((shape.width() - 4) / 2 - 4) / 2);
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate))
                .convolutionMode(ConvolutionMode.Truncate)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(6).weightInit(torchDefault(c * 25))
                        .activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(16).weightInit(torchDefault(6 * 25))
                        .activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(120).weightInit(torchDefault(flat))
                        .activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(84).weightInit(torchDefault(120)).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(classes)
                        .weightInit(torchDefault(84)).activation(Activation.SOFTMAX).build())
                .setInputType(shape.inputType())
                .build();
    }
}
