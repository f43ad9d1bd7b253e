package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import io.fedge.edge.AvgPool2d;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.GlobalPool;
import io.fedge.edge.MaxPool2d;
import io.fedge.edge.QuantizedConv2d;
import io.fedge.edge.QuantizedDense;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each kind of layer the edge format runs, exported from DL4J and run by the engine on the same
 * inputs. The weights are multiples of their channel's int8 step, so the weight-only model has
 * DL4J's exact weights: it must give DL4J's logits to float precision (biases aside, rounded to
 * half a unit, about 0.1% of the logits here). Where BatchNorm is folded the folded weights are not exact any more: half a step
 * of each, about 0.4% of the channel's largest. The full-integer model adds the activations'
 * rounding: its logits within a few percent of DL4J's. Both run in ONNX Runtime too.
 */
class LayerExportTest {
    private static final InputShape.Image IMAGE = new InputShape.Image(2, 9, 9);
    private static final InputShape.Vector VECTOR = new InputShape.Vector(30);

    private static ConvolutionLayer.Builder conv(int kh, int kw) {
        return new ConvolutionLayer.Builder(kh, kw);
    }

    private static SubsamplingLayer.Builder pool(PoolingType type, int k, int s) {
        return new SubsamplingLayer.Builder(type).kernelSize(k, k).stride(s, s);
    }

    /** name, input, hidden layers, the edge layer type they must become, weight-only tolerance relative to the logits. */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("conv 3x3 stride 2 same, relu", IMAGE, List.of(conv(3, 3).stride(2, 2).nOut(4)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build()),
                        QuantizedConv2d.class, 1e-3),
                Arguments.of("conv 2x2 stride 1 same (padding bottom-right only), identity", IMAGE,
                        List.of(conv(2, 2).nOut(3).convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY)
                                .build()), QuantizedConv2d.class, 1e-3),
                Arguments.of("conv 5x5 truncate padding 1, tanh", IMAGE, List.of(conv(5, 5).padding(1, 1).nOut(3)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.TANH).build()),
                        QuantizedConv2d.class, 1e-3),
                Arguments.of("conv 3x2 stride 2x1 truncate padding 1x0, leaky relu", IMAGE, List.of(conv(3, 2)
                        .stride(2, 1).padding(1, 0).nOut(4).convolutionMode(ConvolutionMode.Truncate)
                        .activation(Activation.LEAKYRELU).build()), QuantizedConv2d.class, 1e-3),
                Arguments.of("conv 1x1 without bias, sigmoid", IMAGE, List.of(conv(1, 1).nOut(3).hasBias(false)
                        .activation(Activation.SIGMOID).build()), QuantizedConv2d.class, 1e-3),
                Arguments.of("max pool 3x3 stride 2 same (padded)", IMAGE, List.of(conv(3, 3).nOut(3)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(),
                        pool(PoolingType.MAX, 3, 2).convolutionMode(ConvolutionMode.Same).build()), MaxPool2d.class, 1e-3),
                Arguments.of("avg pool 3x3 stride 2 same, padding counted", IMAGE, List.of(conv(3, 3).nOut(3)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.TANH).build(),
                        pool(PoolingType.AVG, 3, 2).convolutionMode(ConvolutionMode.Same)
                                .avgPoolIncludePadInDivisor(true).build()), AvgPool2d.class, 1e-3),
                Arguments.of("avg pool 3x3 stride 2 same, padding not counted (DL4J's default)", IMAGE, List.of(conv(3, 3).nOut(3)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.TANH).build(),
                        pool(PoolingType.AVG, 3, 2).convolutionMode(ConvolutionMode.Same)
                                .avgPoolIncludePadInDivisor(false).build()), AvgPool2d.class, 1e-3),
                Arguments.of("avg pool 2x2 truncate on 9x9 (last row dropped)", IMAGE, List.of(
                        pool(PoolingType.AVG, 2, 2).convolutionMode(ConvolutionMode.Truncate).build()), AvgPool2d.class,
                        1e-3),
                Arguments.of("avg pool 3x3 truncate padding 1, padding counted", IMAGE, List.of(pool(PoolingType.AVG, 3, 2)
                        .padding(1, 1).convolutionMode(ConvolutionMode.Truncate).avgPoolIncludePadInDivisor(true)
                        .build()), AvgPool2d.class, 1e-3),
                Arguments.of("max pool 2x2 stride 2 (the fast path)", IMAGE, List.of(conv(3, 3)
                        .stride(1, 1).nOut(3).convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(),
                        pool(PoolingType.MAX, 2, 2).build()), MaxPool2d.class, 1e-3),
                Arguments.of("global max pooling", IMAGE, List.of(conv(3, 3).nOut(5).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), new GlobalPoolingLayer.Builder(PoolingType.MAX).build()),
                        GlobalPool.class, 1e-3),
                Arguments.of("global average pooling", IMAGE, List.of(conv(3, 3).nOut(5)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(),
                        new GlobalPoolingLayer.Builder(PoolingType.AVG).build()), GlobalPool.class, 1e-3),
                Arguments.of("dropout layer and dense dropout (identity at inference)", VECTOR, List.of(
                        new DropoutLayer.Builder(0.5).build(), new DenseLayer.Builder().nOut(12).dropOut(0.5)
                                .activation(Activation.RELU).build()), QuantizedDense.class, 1e-3),
                Arguments.of("dense, tanh then sigmoid", VECTOR, List.of(new DenseLayer.Builder().nOut(12)
                        .activation(Activation.TANH).build(), new DenseLayer.Builder().nOut(8)
                        .activation(Activation.SIGMOID).build()), QuantizedDense.class, 1e-3),
                Arguments.of("conv + BatchNorm (log std) + ActivationLayer relu", IMAGE, List.of(conv(3, 3).nOut(4)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(),
                        new BatchNormalization.Builder().build(),
                        new ActivationLayer.Builder().activation(Activation.RELU).build()), QuantizedConv2d.class, 2e-2),
                Arguments.of("dense + BatchNorm (variance), whose own activation DL4J ignores", VECTOR, List.of(new DenseLayer.Builder()
                        .nOut(10).activation(Activation.IDENTITY).build(), new BatchNormalization.Builder()
                        .useLogStd(false).activation(Activation.RELU).build()), QuantizedDense.class, 2e-2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theEngineAndOnnxRuntimeComputeWhatDl4jDoes(String name, InputShape input, List<Layer> hidden, Class<?> kind,
                                                    double tolerance) throws Exception {
        MultiLayerNetwork net = TestNets.stack(input, hidden, 4, true, 7);
        Network network = Network.of(net);
        TestNets.exactParameters(network, 11);
        INDArray x = TestNets.pixels(300, input.size(), 13);
        INDArray reference = net.output(x, false);
        double scale = Math.max(1, TestNets.maxAbs(reference));

        EdgeModel weights = new EdgeQuantizer(EdgeModel.Mode.WEIGHT_ONLY, 100).quantize(network, x, Map.of());
        assertTrue(weights.layers().stream().anyMatch(kind::isInstance), name + " becomes " + kind.getSimpleName()
                + ": " + weights.layers());
        assertArrayEquals(EdgeQuantizer.shape(input), weights.inputShape());
        assertEquals(4, weights.classes());
        double worst = TestNets.worst(weights, x, reference);
        assertTrue(worst <= tolerance * scale, name + ": weight-only logits off by " + worst + " (logits up to "
                + scale + ")");

        EdgeModel full = new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 100).quantize(network, x, Map.of());
        double rms = TestNets.relativeRms(full, x, reference);
        System.out.printf(java.util.Locale.ROOT, "%s: weight-only worst %.2e of %.2f, full-integer RMS %.4f%n", name,
                worst, scale, rms);
        assertTrue(rms <= 0.03, name + ": full-integer logits off by " + rms + " of their RMS");

        // the same models in ONNX Runtime: the float graph to float precision, the QDQ graph on the same classes
        float[][] rows = x.toFloatMatrix();
        double onnxWorst = OnnxCheck.worstProbability(weights, OnnxExporter.export(weights), rows);
        assertTrue(onnxWorst < 1e-4, name + ": ONNX Runtime's weight-only probabilities off by " + onnxWorst);
        double onnxAgree = OnnxCheck.agreement(full, OnnxExporter.export(full), rows);
        assertTrue(onnxAgree >= 0.98, name + ": ONNX Runtime agrees with the int8 engine on " + onnxAgree);
    }
}
