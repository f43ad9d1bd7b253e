package io.fedge.export;

import io.fedge.core.model.InputShape;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

/**
 * The small architectures a global model is distilled into, for the teacher's input shape and
 * class count. Each comes in two forms with the same parameters: for training, ending in raw
 * logits with {@link DistillationLoss}; for inference, ending in softmax.
 * <ul>
 *   <li>{@code mlp-small}: inputs-64-classes, ReLU (50,890 parameters on Fashion-MNIST); an image
 *       is read as its flat pixels;</li>
 *   <li>{@code cnn-small}: conv3x3(8, same) + ReLU + maxpool2, conv3x3(16, same) + ReLU + maxpool2,
 *       dense 32 + ReLU, dense classes (26,698 parameters on Fashion-MNIST); images of at least 4x4
 *       (the poolings round up: a 15x15 image becomes 8x8, then 4x4).</li>
 * </ul>
 * Stateless.
 */
public final class StudentPresets {
    public static final List<String> NAMES = List.of("mlp-small", "cnn-small");

    private static final ClassifierShape FASHION_MNIST = new ClassifierShape(InputShape.FASHION_MNIST, 10);
    /** The smallest image side {@code cnn-small} takes. */
    private static final int CNN_MIN_SIDE = 4;

    private StudentPresets() {
    }

    /** The default widths of a preset: {@code [hidden]} or {@code [conv1, conv2, hidden]}. */
    public static int[] widths(String name) {
        return switch (name) {
            case "mlp-small" -> new int[] {64};
            case "cnn-small" -> new int[] {8, 16, 32};
            default -> throw new IllegalArgumentException("unknown student '" + name + "', known: " + NAMES);
        };
    }

    /** The Fashion-MNIST architecture for training against {@code loss} (logits out), or for inference when null. */
    public static MultiLayerConfiguration byName(String name, long seed, double learningRate, ILossFunction loss) {
        return build(name, widths(name), seed, learningRate, loss, FASHION_MNIST);
    }

    /** A Fashion-MNIST preset with other widths (what structured pruning leaves). */
    public static MultiLayerConfiguration build(String name, int[] widths, long seed, double learningRate,
                                                ILossFunction loss) {
        return build(name, widths, seed, learningRate, loss, FASHION_MNIST);
    }

    /**
     * The preset {@code name} with {@code widths}, for examples and classes of {@code shape}.
     *
     * @param loss the training loss on the logits; null for the inference form (softmax, cross-entropy)
     * @throws IllegalArgumentException if the preset is unknown, the widths do not fit it, or it cannot
     *     read the shape ({@code cnn-small} needs images of at least 4x4)
     */
    public static MultiLayerConfiguration build(String name, int[] widths, long seed, double learningRate,
                                                ILossFunction loss, ClassifierShape shape) {
        int[] defaults = widths(name);
        if (widths.length != defaults.length) {
            throw new IllegalArgumentException(name + " takes " + defaults.length + " widths, got " + widths.length);
        }
        for (int w : widths) {
            if (w <= 0) {
                throw new IllegalArgumentException(name + " widths must be positive: " + java.util.Arrays.toString(widths));
            }
        }
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(learningRate))
                .convolutionMode(ConvolutionMode.Same)
                .list();
        int hidden;
        if (name.equals("cnn-small")) {
            image(shape.input());
            b.layer(new ConvolutionLayer.Builder(3, 3).nOut(widths[0]).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(widths[1]).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build());
            hidden = widths[2];
        } else {
            hidden = widths[0];
        }
        b.layer(new DenseLayer.Builder().nOut(hidden).activation(Activation.RELU).build());
        OutputLayer.Builder out = loss == null
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                : new OutputLayer.Builder(loss).activation(Activation.IDENTITY);
        b.layer(out.nOut(shape.classes()).build());
        b.setInputType(name.equals("cnn-small") ? shape.input().inputType()
                : org.deeplearning4j.nn.conf.inputs.InputType.feedForward(shape.input().size()));
        return b.build();
    }

    private static void image(InputShape shape) {
        if (!(shape instanceof InputShape.Image img)) {
            throw new IllegalArgumentException("student 'cnn-small' is convolutional and needs images, but the teacher "
                    + "reads feature vectors of " + shape + " values; use 'mlp-small' or a student configuration");
        }
        if (img.height() < CNN_MIN_SIDE || img.width() < CNN_MIN_SIDE) {
            throw new IllegalArgumentException("student 'cnn-small' needs images of at least " + CNN_MIN_SIDE + "x"
                    + CNN_MIN_SIDE + ", the teacher reads " + img);
        }
    }
}
