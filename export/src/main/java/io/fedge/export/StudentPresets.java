package io.fedge.export;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
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
 * The small architectures a global model is distilled into. Each comes in two forms with the same
 * parameters: for training, ending in raw logits with {@link DistillationLoss}; for inference,
 * ending in softmax.
 * <ul>
 *   <li>{@code mlp-small}: 784-64-10, ReLU (50,890 parameters);</li>
 *   <li>{@code cnn-small}: conv3x3(8, same) + ReLU + maxpool2, conv3x3(16, same) + ReLU + maxpool2,
 *       dense 32 + ReLU, dense 10 (26,698 parameters).</li>
 * </ul>
 */
public final class StudentPresets {
    public static final List<String> NAMES = List.of("mlp-small", "cnn-small");

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

    /** The architecture for training against {@code loss} (logits out), or for inference when {@code loss} is null. */
    public static MultiLayerConfiguration byName(String name, long seed, double learningRate, ILossFunction loss) {
        return build(name, widths(name), seed, learningRate, loss);
    }

    /** A preset with other widths (what structured pruning leaves). */
    public static MultiLayerConfiguration build(String name, int[] widths, long seed, double learningRate,
                                                ILossFunction loss) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(learningRate))
                .convolutionMode(ConvolutionMode.Same)
                .list();
        int hidden;
        switch (name) {
            case "mlp-small" -> hidden = widths[0];
            case "cnn-small" -> {
                b.layer(new ConvolutionLayer.Builder(3, 3).nOut(widths[0]).activation(Activation.RELU).build())
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                        .layer(new ConvolutionLayer.Builder(3, 3).nOut(widths[1]).activation(Activation.RELU).build())
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build());
                hidden = widths[2];
            }
            default -> throw new IllegalArgumentException("unknown student '" + name + "', known: " + NAMES);
        }
        b.layer(new DenseLayer.Builder().nOut(hidden).activation(Activation.RELU).build());
        OutputLayer.Builder out = loss == null
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                : new OutputLayer.Builder(loss).activation(Activation.IDENTITY);
        b.layer(out.nOut(10).build());
        b.setInputType(name.startsWith("cnn") ? InputType.convolutionalFlat(28, 28, 1) : InputType.feedForward(784));
        return b.build();
    }
}
