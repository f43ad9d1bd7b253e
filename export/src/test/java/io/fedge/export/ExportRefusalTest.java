package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import io.fedge.edge.EdgeModel;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the edge format cannot run is refused in one line naming the layer, its type and why. */
class ExportRefusalTest {
    private static final InputShape.Image IMAGE = new InputShape.Image(2, 8, 8);
    private static final InputShape.Vector VECTOR = new InputShape.Vector(30);

    private static String refusal(Network net) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 100).quantize(net,
                        Nd4j.rand(DataType.FLOAT, 4, ClassifierShape.inputOf(net).size()), Map.of()));
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static String refusal(InputShape input, List<Layer> hidden) {
        return refusal(Network.of(TestNets.stack(input, hidden, 3, false, 1)));
    }

    private static void startsWith(String expected, String actual) {
        assertTrue(actual.startsWith(expected), "expected '" + expected + "...', got '" + actual + "'");
    }

    @Test
    void anUnsupportedLayerIsNamedWithItsTypeAndWhatIsSupported() {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build())
                .layer(new org.deeplearning4j.nn.conf.layers.DropoutLayer.Builder(0.5).build())
                .layer(new LSTM.Builder().name("lstm1").nOut(8).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(3).build())
                .setInputType(InputType.feedForward(30));
        MultiLayerNetwork net = new MultiLayerNetwork(b.build());
        net.init();
        String m = refusal(Network.of(net));
        startsWith("layer 3 'lstm1' (LSTM) cannot be exported to the edge format: supported are DenseLayer, OutputLayer,"
                + " ConvolutionLayer", m);
        assertTrue(m.contains("residual blocks joined by an ElementWiseVertex Add"), m);
    }

    @Test
    void aSubclassOfASupportedLayerIsNotTakenForIt() {
        startsWith("layer 0 'layer0' (DepthwiseConvolution2D) cannot be exported to the edge format: supported are",
                refusal(IMAGE, List.of(new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build())));
    }

    @Test
    void softmaxBeforeTheOutputLayerIsRefused() {
        startsWith("layer 0 'layer0' (DenseLayer) cannot be exported to the edge format: softmax before the output "
                + "layer", refusal(VECTOR, List.of(new DenseLayer.Builder().nOut(8).activation(Activation.SOFTMAX).build())));
    }

    @Test
    void anActivationTheEngineDoesNotComputeIsRefusedByName() {
        String m = refusal(VECTOR, List.of(new DenseLayer.Builder().nOut(8).activation(Activation.ELU).build()));
        startsWith("layer 0 'layer0' (DenseLayer) cannot be exported to the edge format: activation elu", m);
        assertTrue(m.endsWith("is not supported: " + LayerLowering.ACTIVATIONS), m);
    }

    @Test
    void batchNormAfterAnActivationCannotBeFolded() {
        String m = refusal(IMAGE, List.of(new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                .activation(Activation.RELU).build(), new BatchNormalization.Builder().build()));
        assertEquals("layer 1 'layer1' (BatchNormalization) cannot be exported to the edge format: a BatchNorm is "
                + "folded into the convolution or dense layer right before it, which must have no activation; here it "
                + "follows conv with relu", m);
        startsWith("layer 0 'layer0' (BatchNormalization) cannot be exported to the edge format: a BatchNorm is folded",
                refusal(VECTOR, List.of(new BatchNormalization.Builder().build())));
    }

    @Test
    void dilationPNormPoolingAndNhwcAreRefused() {
        startsWith("layer 0 'layer0' (ConvolutionLayer) cannot be exported to the edge format: dilation [2, 2]",
                refusal(IMAGE, List.of(new ConvolutionLayer.Builder(3, 3).dilation(2, 2).nOut(4)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build())));
        startsWith("layer 0 'layer0' (SubsamplingLayer) cannot be exported to the edge format: PNORM pooling",
                refusal(IMAGE, List.of(new SubsamplingLayer.Builder(PoolingType.PNORM).pnorm(2).kernelSize(2, 2)
                        .stride(2, 2).build())));
    }

    @Test
    void anOutputThatIsNotLogitsOrSoftmaxIsRefused() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.XENT).activation(Activation.SIGMOID).nOut(3)
                        .build())
                .setInputType(InputType.feedForward(30)).build());
        net.init();
        assertEquals("the network cannot be exported to the edge format: it must end in a dense output layer whose "
                + "activation is softmax or identity (the logits), not one with sigmoid", refusal(Network.of(net)));
    }

    @Test
    void aNetworkReadingFourDimensionalImagesIsRefused() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(3)
                        .build())
                .setInputType(InputType.convolutional(8, 8, 2)).build());
        net.init();
        // refused as soon as fedge wraps it (RowLayout), before the exporter sees it
        io.fedge.core.FedgeException e = assertThrows(io.fedge.core.FedgeException.class,
                () -> ClassifierShape.inputOf(Network.of(net)));
        assertTrue(e.getMessage().contains("declare InputType.convolutionalFlat(h, w, c)"), e.getMessage());
    }

    private static ComputationGraph graph(Consumer<ComputationGraphConfiguration.GraphBuilder> body, String last) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).convolutionMode(ConvolutionMode.Same).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutionalFlat(6, 6, 1));
        body.accept(g);
        g.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                .nOut(3).build(), last).setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static ConvolutionLayer conv() {
        return new ConvolutionLayer.Builder(3, 3).nOut(2).activation(Activation.IDENTITY).build();
    }

    @Test
    void graphsBeyondChainsAndResidualAddsAreRefused() {
        startsWith("vertex 'merge' (MergeVertex) cannot be exported to the edge format: supported are", refusal(
                Network.of(graph(g -> g.addLayer("a", conv(), "in").addLayer("b", conv(), "in")
                        .addVertex("merge", new MergeVertex(), "a", "b"), "merge"))));
        startsWith("vertex 'prod' (ElementWiseVertex) cannot be exported to the edge format: op Product; residual blocks "
                + "join with Add", refusal(Network.of(graph(g -> g.addLayer("a", conv(), "in").addLayer("b", conv(), "in")
                .addVertex("prod", new ElementWiseVertex(ElementWiseVertex.Op.Product), "a", "b"), "prod"))));
        startsWith("vertex 'in' feeds 3 vertices [a, b, c]", refusal(Network.of(graph(g -> g.addLayer("a", conv(), "in")
                .addLayer("b", conv(), "in").addLayer("c", conv(), "in")
                .addVertex("ab", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a", "b")
                .addVertex("abc", new ElementWiseVertex(ElementWiseVertex.Op.Add), "ab", "c"), "abc"))));
        startsWith("vertex 'a' inside the residual block forking at 's' feeds 2 vertices [a2, a3]; residual blocks do "
                + "not nest", refusal(Network.of(graph(g -> g.addLayer("s", conv(), "in").addLayer("a", conv(), "s")
                .addLayer("a2", conv(), "a").addLayer("a3", conv(), "a")
                .addVertex("inner", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a2", "a3")
                .addVertex("outer", new ElementWiseVertex(ElementWiseVertex.Op.Add), "inner", "s"), "outer"))));
    }
}
