package io.fedge.client;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** A model of a few dozen parameters and a data set of eight examples that fits it, for client tests. */
final class TinyModels {
    static final int FEATURES = 4;

    private TinyModels() {
    }

    /** Version {@code version} of a 4-3-2 network, or with {@code inputs} inputs to mismatch the data. */
    static GlobalModel model(long version, int inputs) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(inputs).nOut(3).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(3).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        GlobalModel initial = Dl4jModels.initialModel(conf);
        return initial.withParameters(version, initial.parameters());
    }

    static GlobalModel model(long version) {
        return model(version, FEATURES);
    }

    /** Version {@code version} of 4-3-BatchNorm-2: 15 + 12 + 8 = 35 parameters, 12 of them BatchNorm's. */
    static GlobalModel batchNormModel(long version) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(2).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(3).activation(Activation.IDENTITY).build())
                .layer(new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().nOut(3)
                        .activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(3).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        GlobalModel initial = Dl4jModels.initialModel(conf);
        return initial.withParameters(version, initial.parameters());
    }

    /** Eight examples of four features, two classes. */
    static DataSet data() {
        float[][] x = new float[8][FEATURES];
        float[][] y = new float[8][2];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x[i][j] = (i * 7 + j * 3) % 5 / 5f;
            }
            y[i][i % 2] = 1;
        }
        return new DataSet(Nd4j.create(x), Nd4j.create(y));
    }
}
