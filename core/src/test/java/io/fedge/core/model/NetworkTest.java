package io.fedge.core.model;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkTest {
    /** in -> dense(4) -> dense(4) -> add(skip from the first dense) -> softmax(3). */
    static ComputationGraphConfiguration residual() {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT).updater(new Sgd(0.1))
                .graphBuilder()
                .addInputs("in")
                .addLayer("d1", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "in")
                .addLayer("d2", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "d1")
                .addVertex("skip", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "d2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "skip")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(5))
                .build();
    }

    @Test
    void tellsTheKindFromTheJson() {
        assertEquals(Network.Kind.GRAPH, Network.kindOf(residual().toJson()));
        assertEquals(Network.Kind.LAYERS, Network.kindOf(ModelPresets.mlp(1, 0.1).toJson()));
        FedgeException e = assertThrows(FedgeException.class, () -> Network.kindOf("{\"a\": 1}"));
        assertEquals(ErrorCode.MALFORMED, e.code());
    }

    @Test
    void graphParametersRoundTripAndMatchTheirCount() {
        Network net = Network.fromJson(residual().toJson());
        // 5*4+4 + 4*4+4 + 4*3+3 by hand
        assertEquals(24 + 20 + 15, net.numParams());
        float[] p = new float[59];
        for (int i = 0; i < p.length; i++) {
            p[i] = i / 100f;
        }
        net.setParameters(p);
        assertArrayEquals(p, net.parameters());
        assertThrows(FedgeException.class, () -> net.setParameters(new float[58]));
    }

    @Test
    void parametersAreReadAndWrittenInPlaceForEveryPresetAndAGraph() {
        for (String json : java.util.List.of(ModelPresets.mlp(1, 0.1).toJson(), ModelPresets.cnn(1, 0.1).toJson(),
                ModelPresets.simpleCnn(1, 0.1).toJson(), residual().toJson())) {
            Network net = Network.fromJson(json);
            assertTrue(net.parametersInPlace(), "no INDArray per call for " + net.numParams() + " parameters");
            float[] p = new float[(int) net.numParams()];
            for (int i = 0; i < p.length; i++) {
                p[i] = (i % 97) / 50f - 1;
            }
            net.setParameters(p);
            assertArrayEquals(p, net.params().toFloatVector(), "what DL4J reads (its own copy path) is what was written");
            assertArrayEquals(p, net.parameters());
            float[] copy = net.parameters();
            copy[0] = 42;
            assertNotEquals(42f, net.parameters()[0], "parameters() is a copy, not a view");
        }
    }

    @Test
    void aGraphTrainsAndItsOutputIsADistribution() {
        Network net = Network.fromJson(residual().toJson());
        float[] before = net.parameters();
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 3);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % 3, 1f);
        }
        net.fit(new MultiDataSet(x, y));
        assertNotEquals(before[0], net.parameters()[0]);
        assertTrue(net.score() > 0);
        INDArray out = net.output(x)[0];
        assertArrayEquals(new long[] {8, 3}, out.shape());
        assertEquals(8.0, out.sumNumber().doubleValue(), 1e-4);
    }

    @Test
    void presetsTakeOtherShapesAndClassCounts() {
        // mlp on 30 features, 2 classes: 30*200+200 + 200*200+200 + 200*2+2 by hand
        assertEquals(6200 + 40200 + 402,
                Network.fromJson(ModelPresets.byName("mlp", 1, 0.1, new InputShape.Vector(30), 2).toJson()).numParams());
        // simplecnn on 3x32x32 (CIFAR's shape), 100 classes: conv 3*25*6+6, conv 6*25*16+16,
        // dense 16*5*5*120+120, 120*84+84, 84*100+100
        assertEquals(456 + 2416 + 48120 + 10164 + 8500, Network.fromJson(
                ModelPresets.byName("simplecnn", 1, 0.1, new InputShape.Image(3, 32, 32), 100).toJson()).numParams());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelPresets.byName("cnn", 1, 0.1, new InputShape.Vector(30), 2));
        assertTrue(e.getMessage().contains("needs images"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ModelPresets.byName("simplecnn", 1, 0.1, new InputShape.Image(1, 8, 8), 10));
    }

    @Test
    void theInitialModelOfAGraphRebuildsTheSameNetwork() {
        GlobalModel m = Dl4jModels.initialModel(residual().toJson());
        Network again = Dl4jModels.network(m);
        assertArrayEquals(m.parameters(), again.parameters());
        assertEquals(Network.Kind.GRAPH, again.kind());
    }

    @Test
    void theBatchNormCoordinatesAreThoseOfTheBatchNormLayers() {
        Network net = Network.fromJson(new ResNetProvider().configuration(InputShape.FASHION_MNIST, 10, 1, 0.1).json());
        int p = (int) net.numParams();
        float[] index = new float[p];
        for (int i = 0; i < p; i++) {
            index[i] = i; // each parameter holds its own flat index
        }
        net.setParameters(index);
        ParameterSpans bn = net.batchNormParameters();
        ParameterSpans stats = net.statistics();
        // three BatchNorm layers of 16 channels: gamma, beta, mean, log10(std) each
        assertEquals(3 * 4 * 16, bn.count());
        assertEquals(3 * 2 * 16, stats.count());
        int seen = 0;
        for (String name : new String[] {"stem_bn", "block_bn1", "block_bn2"}) {
            java.util.Map<String, INDArray> table = net.graph().getLayer(name).paramTable(false);
            assertEquals(java.util.Set.of("gamma", "beta", "mean", "log10stdev"), table.keySet(), name);
            for (java.util.Map.Entry<String, INDArray> e : table.entrySet()) {
                for (float v : e.getValue().ravel().toFloatVector()) {
                    assertTrue(bn.contains((int) v), name + " " + e.getKey() + " at " + v);
                    boolean statistic = e.getKey().equals("mean") || e.getKey().equals("log10stdev");
                    assertEquals(statistic, stats.contains((int) v), name + " " + e.getKey() + " at " + v);
                    seen++;
                }
            }
        }
        assertEquals(bn.count(), seen, "nothing but the BatchNorm layers' parameters");
        // a network without BatchNorm has neither
        assertTrue(Network.fromJson(residual().toJson()).batchNormParameters().isEmpty());
        assertTrue(Network.fromJson(residual().toJson()).statistics().isEmpty());
    }

    @Test
    void aSequenceOutputIsScoredAndReadAtItsLastTimeStep() {
        org.deeplearning4j.nn.conf.MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5)
                .dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.LSTM.Builder().nOut(3).activation(Activation.TANH).build())
                .layer(new org.deeplearning4j.nn.conf.layers.RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(2, 4))
                .build();
        Network net = Network.fromJson(conf.toJson());
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 8); // 4 time steps of 2 features
        INDArray y = Nd4j.zeros(DataType.FLOAT, 5, 2);
        for (int i = 0; i < 5; i++) {
            y.putScalar(i, i % 2, 1f);
        }
        INDArray p = net.output(x)[0];
        assertArrayEquals(new long[] {5, 2}, p.shape(), "read at the last step");
        // the same as DL4J's raw output at t = 3
        INDArray raw = net.layers().output(net.layout().inputs(x)[0], false);
        assertArrayEquals(raw.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(3))
                .ravel().toFloatVector(), p.ravel().toFloatVector(), 0f);
        double expected = 0;
        for (int i = 0; i < 5; i++) {
            expected -= Math.log(p.getDouble(i, i % 2)) / 5;
        }
        net.fit(x, y);
        // the score of the step is the cross-entropy of the last step alone: the mask drops the others
        assertEquals(expected, net.score(), 1e-5);
    }

    @Test
    void bothKindsSaveAsDl4jZips(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Network graph = Network.fromJson(residual().toJson());
        graph.save(dir.resolve("g.zip"));
        assertArrayEquals(graph.parameters(), org.deeplearning4j.util.ModelSerializer
                .restoreComputationGraph(dir.resolve("g.zip").toFile()).params().toFloatVector(), 0f);
        Network layers = Network.fromJson(ModelPresets.mlp(1, 0.1, 6, 2).toJson());
        layers.save(dir.resolve("l.zip"));
        assertArrayEquals(layers.parameters(), org.deeplearning4j.util.ModelSerializer
                .restoreMultiLayerNetwork(dir.resolve("l.zip").toFile()).params().toFloatVector(), 0f);
    }

    @Test
    void badJsonIsRefusedInOneLineWithDl4jsComplaint() {
        String truncated = ModelPresets.mlp(1, 0.1).toJson();
        truncated = truncated.substring(0, truncated.length() / 2);
        String cut = truncated;
        FedgeException e = assertThrows(FedgeException.class, () -> Network.fromJson(cut));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().startsWith("DL4J cannot read the MultiLayerNetwork configuration: "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n") && e.getMessage().length() < 400, e.getMessage());
    }
}
