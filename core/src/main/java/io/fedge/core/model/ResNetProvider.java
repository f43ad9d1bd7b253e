package io.fedge.core.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * {@code resnet}: a small residual {@code ComputationGraph} with BatchNorm for images, the shape of
 * a ResNet's first stage:
 *
 * <pre>
 * in (c x h x w, flat channel-first rows)
 *  -> conv3x3(16, same, no bias) -> BatchNorm -> ReLU                          "stem"
 *  -> conv3x3(16) -> BatchNorm -> ReLU -> conv3x3(16) -> BatchNorm              "block"
 *  -> + stem (identity skip, ElementWiseVertex Add) -> ReLU
 *  -> maxpool 2x2 -> global average pool -> dense(classes) softmax
 * </pre>
 *
 * With {@code c} channels and {@code k} classes it has {@code 144c + 4,800 + 17k} parameters
 * (5,114 for Fashion-MNIST), 192 of them BatchNorm's (gamma, beta, running mean and variance of
 * three layers). Convolutions and the dense layer start as PyTorch's defaults do,
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)); BatchNorm starts at gamma 1, beta 0 with DL4J's decay 0.9 and
 * epsilon 1e-5 (PyTorch's momentum 0.1 and eps 1e-5). Plain SGD, softmax cross-entropy.
 * Stateless and thread-safe.
 */
public final class ResNetProvider implements ModelProvider {
    private static final int WIDTH = 16;

    @Override
    public String name() {
        return "resnet";
    }

    @Override
    public String summary() {
        return "small residual graph for images: conv3x3(16)+BN+ReLU, a residual block of two conv3x3(16)+BN "
                + "with an identity skip, maxpool 2, global average pool, softmax";
    }

    @Override
    public Configuration configuration(InputShape shape, int classes, long seed, double learningRate) {
        if (!(shape instanceof InputShape.Image img)) {
            throw new IllegalArgumentException("model 'resnet' is convolutional and needs images, but the data are "
                    + "feature vectors of " + shape + " values");
        }
        if (img.height() < 2 || img.width() < 2) {
            throw new IllegalArgumentException("model 'resnet' needs images of at least 2x2, got " + img);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes: " + classes);
        }
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate))
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("in")
                .addLayer("stem_conv", conv(img.channels()), "in")
                .addLayer("stem_bn", batchNorm(Activation.RELU), "stem_conv")
                .addLayer("block_conv1", conv(WIDTH), "stem_bn")
                .addLayer("block_bn1", batchNorm(Activation.RELU), "block_conv1")
                .addLayer("block_conv2", conv(WIDTH), "block_bn1")
                .addLayer("block_bn2", batchNorm(Activation.IDENTITY), "block_conv2")
                .addVertex("block_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "stem_bn", "block_bn2")
                .addLayer("block_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "block_add")
                .addLayer("pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                        .stride(2, 2).build(), "block_relu")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(classes)
                        .weightInit(torchDefault(WIDTH)).activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out")
                .setInputTypes(img.inputType())
                .build();
        return Configuration.of(conf);
    }

    private static ConvolutionLayer conv(int inChannels) {
        return new ConvolutionLayer.Builder(3, 3).nOut(WIDTH).hasBias(false).weightInit(torchDefault(inChannels * 9))
                .activation(Activation.IDENTITY).build();
    }

    private static BatchNormalization batchNorm(Activation activation) {
        return new BatchNormalization.Builder().decay(0.9).eps(1e-5).activation(activation).build();
    }

    /** PyTorch's default for {@code nn.Conv2d} and {@code nn.Linear}: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    private static UniformDistribution torchDefault(int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return new UniformDistribution(-bound, bound);
    }
}
