package io.fedge.export;

import io.fedge.core.model.Network;
import io.fedge.edge.EdgeLayer;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.GlobalPool;
import io.fedge.edge.QuantizedConv2d;
import io.fedge.edge.ResidualBlock;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ComputationGraph with two residual blocks (one with an identity shortcut, one with a strided
 * 1x1 projection), exported as it is: the blocks become {@link ResidualBlock}s and the engine and
 * ONNX Runtime compute what DL4J does.
 */
class GraphExportTest {
    /**
     * stem conv3x3(8) [+BN] + relu; block 1: conv3x3(8) [+BN] + relu, conv3x3(8) [+BN], + stem, relu;
     * block 2: conv3x3(16, stride 2) [+BN] + relu, conv3x3(16) [+BN], + conv1x1(16, stride 2) [+BN],
     * relu; global average pooling; dense 5, identity ({@code logits}) or softmax.
     */
    static ComputationGraph residualGraph(boolean batchNorm, boolean logits, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(0.01)).convolutionMode(ConvolutionMode.Same)
                .graphBuilder().addInputs("input").setInputTypes(InputType.convolutionalFlat(12, 12, 1));
        String stem = conv(g, "stem", 8, 3, 1, "input", batchNorm);
        g.addLayer("stem_relu", relu(), stem);
        String a = conv(g, "b1_conv1", 8, 3, 1, "stem_relu", batchNorm);
        g.addLayer("b1_relu", relu(), a);
        String b = conv(g, "b1_conv2", 8, 3, 1, "b1_relu", batchNorm);
        g.addVertex("b1_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), b, "stem_relu");
        g.addLayer("b1_out", relu(), "b1_add");
        String c = conv(g, "b2_conv1", 16, 3, 2, "b1_out", batchNorm);
        g.addLayer("b2_relu", relu(), c);
        String d = conv(g, "b2_conv2", 16, 3, 1, "b2_relu", batchNorm);
        String p = conv(g, "b2_proj", 16, 1, 2, "b1_out", batchNorm);
        g.addVertex("b2_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), p, d);
        g.addLayer("b2_out", relu(), "b2_add");
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "b2_out");
        g.addLayer("out", logits
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nOut(5).build()
                : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(5)
                .build(), "pool");
        g.setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static String conv(ComputationGraphConfiguration.GraphBuilder g, String name, int out, int k, int stride,
                               String in, boolean batchNorm) {
        g.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(stride, stride).nOut(out)
                .activation(Activation.IDENTITY).build(), in);
        if (!batchNorm) {
            return name;
        }
        g.addLayer(name + "_bn", new BatchNormalization.Builder().build(), name);
        return name + "_bn";
    }

    private static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }

    /** Without BatchNorm the weights are exact in int8: the weight-only engine gives DL4J's logits; with it, within 2%. */
    @ParameterizedTest(name = "batch norm {0}")
    @ValueSource(booleans = {false, true})
    void aResidualGraphIsExportedAsItIs(boolean batchNorm) throws Exception {
        ComputationGraph graph = residualGraph(batchNorm, true, 3);
        Network net = Network.of(graph);
        TestNets.exactParameters(net, 5);
        INDArray x = TestNets.pixels(300, 144, 7);
        INDArray reference = graph.outputSingle(false, x);
        double scale = Math.max(1, TestNets.maxAbs(reference));

        EdgeModel weights = new EdgeQuantizer(EdgeModel.Mode.WEIGHT_ONLY, 100).quantize(net, x, Map.of());
        List<EdgeLayer> layers = weights.layers();
        assertEquals(List.of(QuantizedConv2d.class, ResidualBlock.class, ResidualBlock.class, GlobalPool.class,
                io.fedge.edge.QuantizedDense.class), layers.stream().map(Object::getClass).toList());
        ResidualBlock identity = (ResidualBlock) layers.get(1);
        ResidualBlock projection = (ResidualBlock) layers.get(2);
        assertEquals(2, identity.main().size());
        assertEquals(0, identity.shortcut().size());
        assertEquals(2, projection.main().size());
        assertEquals(1, projection.shortcut().size());
        assertArrayEquals(new int[] {16, 6, 6}, projection.outputShape());
        assertArrayEquals(new int[] {1, 12, 12}, weights.inputShape());
        double worst = TestNets.worst(weights, x, reference);
        double tolerance = batchNorm ? 2e-2 : 1e-3;
        assertTrue(worst <= tolerance * scale, "weight-only logits off by " + worst + " of " + scale);

        EdgeModel full = new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 100).quantize(net, x, Map.of());
        double rms = TestNets.relativeRms(full, x, reference);
        System.out.printf(java.util.Locale.ROOT, "residual graph (batch norm %s): weight-only worst %.2e of %.2f, "
                + "full-integer RMS %.4f%n", batchNorm, worst, scale, rms);
        assertTrue(rms <= 0.05, "full-integer logits off by " + rms + " of their RMS");

        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        EdgeModel back = EdgeModel.read(full.write(keys.getPrivate()), keys.getPublic());
        float[][] rows = x.toFloatMatrix();
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(full.logits(rows[i]), back.logits(rows[i]), "read back bit for bit");
        }
        double onnxWorst = OnnxCheck.worstProbability(weights, OnnxExporter.export(weights), rows);
        assertTrue(onnxWorst < 1e-4, "ONNX Runtime's weight-only probabilities off by " + onnxWorst);
        double agree = OnnxCheck.agreement(full, OnnxExporter.export(full), rows);
        assertTrue(agree >= 0.98, "ONNX Runtime agrees with the int8 engine on " + agree);
    }

    @Test
    void aGraphStudentNamesTheShapeItReads() {
        Network net = Network.of(residualGraph(true, false, 1));
        ClassifierShape shape = ClassifierShape.of(net);
        assertEquals(new ClassifierShape(new io.fedge.core.model.InputShape.Image(1, 12, 12), 5), shape);
    }
}
