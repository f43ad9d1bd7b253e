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
}
