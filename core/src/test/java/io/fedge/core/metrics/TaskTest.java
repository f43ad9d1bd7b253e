package io.fedge.core.metrics;

import io.fedge.core.model.ModelPresets;
import io.fedge.core.model.Network;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TaskTest {
    private static Network net(LossFunction loss, Activation activation) {
        MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new OutputLayer.Builder(loss).nIn(3).nOut(2).activation(activation).build()).build());
        n.init();
        return Network.of(n);
    }

    @Test
    void readsTheTaskFromTheOutputLayersLoss() {
        MultiLayerNetwork mlp = new MultiLayerNetwork(ModelPresets.mlp(1, 0.1));
        mlp.init();
        assertEquals(Task.CLASSIFICATION, Task.of(Network.of(mlp)));
        assertEquals(Task.CLASSIFICATION, Task.of(net(LossFunction.NEGATIVELOGLIKELIHOOD, Activation.SOFTMAX)));
        assertEquals(Task.REGRESSION, Task.of(net(LossFunction.MSE, Activation.IDENTITY)));
        assertEquals(Task.REGRESSION, Task.of(net(LossFunction.L1, Activation.IDENTITY)));
        assertEquals(Task.REGRESSION, Task.of(net(LossFunction.MEAN_ABSOLUTE_ERROR, Activation.IDENTITY)));
    }

    @Test
    void namesRoundTrip() {
        for (Task t : Task.values()) {
            assertEquals(t, Task.byName(t.label().toUpperCase(java.util.Locale.ROOT)));
        }
        assertThrows(IllegalArgumentException.class, () -> Task.byName("ranking"));
    }
}
