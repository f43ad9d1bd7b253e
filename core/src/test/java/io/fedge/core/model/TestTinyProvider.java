package io.fedge.core.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** A user's model provider on the test class path: softmax regression. */
public final class TestTinyProvider implements ModelProvider {
    @Override
    public String name() {
        return "Tiny-Test";
    }

    @Override
    public String summary() {
        return "softmax regression, for tests";
    }

    @Override
    public Configuration configuration(InputShape shape, int classes, long seed, double learningRate) {
        return Configuration.of(new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(new Sgd(learningRate)).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(shape.size()).nOut(classes)
                        .activation(Activation.SOFTMAX).build())
                .build());
    }
}
