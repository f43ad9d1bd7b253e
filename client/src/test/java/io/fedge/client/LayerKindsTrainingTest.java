package io.fedge.client;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recurrent and dropout layers in local training, against DL4J's own steps and a forward pass by hand. */
class LayerKindsTrainingTest {
    @Test
    void anLstmTrainsOnTimeMajorRowsReshapedToFeaturesByTime() {
        int f = 2;
        int t = 3;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).list()
                .layer(new LastTimeStep(new LSTM.Builder().nOut(5).activation(Activation.TANH).build()))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(f, t))
                .build();
        GlobalModel model = Dl4jModels.initialModel(conf.toJson());
        int n = 6;
        INDArray rows = Nd4j.create(DataType.FLOAT, n, f * t);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, 2);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f * t; j++) {
                rows.putScalar(i, j, ((i * 5 + j * 3) % 7) / 7f);
            }
            labels.putScalar(i, i % 2, 1f);
        }
        LocalUpdate u = new LocalTrainer(new DataSet(rows, labels)).train(model, 1, n, 0.1, 1);
        // DL4J's own step on the sequences built by hand: x[i, feature, step] = row i's value step * f + feature
        INDArray seq = Nd4j.create(DataType.FLOAT, n, f, t);
        for (int i = 0; i < n; i++) {
            for (int s = 0; s < t; s++) {
                for (int k = 0; k < f; k++) {
                    seq.putScalar(new long[] {i, k, s}, rows.getFloat(i, s * f + k));
                }
            }
        }
        MultiLayerNetwork ref = Dl4jModels.network(model).layers();
        ref.setLearningRate(0.1);
        float[] w0 = model.parameters();
        // the trainer shuffles the rows; one full batch is the same step whatever the order
        ref.fit(new DataSet(seq, labels));
        float[] expected = ref.params().toFloatVector();
        for (int i = 0; i < w0.length; i++) {
            assertEquals(expected[i] - w0[i], u.delta()[i], 2e-7, "value " + i);
        }
        assertTrue(Math.abs(u.delta()[0]) > 0, "it trained");
    }

    @Test
    void dropoutIsActiveInTrainingAndOffInEvaluation() {
        int inputs = 64;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(8).dataType(DataType.FLOAT)
                .updater(new Sgd(0.5)).list()
                .layer(new DenseLayer.Builder().nIn(inputs).nOut(2).activation(Activation.IDENTITY).dropOut(0.5).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(2).nOut(2).activation(Activation.SOFTMAX).build())
                .build();
        GlobalModel model = Dl4jModels.initialModel(conf.toJson());
        INDArray ones = Nd4j.ones(DataType.FLOAT, 1, inputs);
        INDArray label = Nd4j.createFromArray(new float[][] {{1, 0}});
        LocalTrainer trainer = new LocalTrainer(new DataSet(ones, label));
        LocalUpdate u = trainer.train(model, 1, 1, 0.5, 3);
        // W of the first layer is [64, 2] in DL4J's 'f' order: w[j, k] at k * 64 + j. A dropped input's
        // row gets no gradient; every kept input (scaled by 2) gets the same one
        int dropped = 0;
        float[] keptChange = null;
        for (int j = 0; j < inputs; j++) {
            float[] change = {u.delta()[j], u.delta()[inputs + j]};
            if (change[0] == 0 && change[1] == 0) {
                dropped++;
            } else if (keptChange == null) {
                keptChange = change;
            } else {
                assertArrayEquals(keptChange, change, 1e-7f, "kept input " + j);
            }
        }
        assertTrue(dropped > 0 && dropped < inputs, "about half the inputs dropped in training: " + dropped);

        // evaluation: the plain forward pass, no mask and no scaling, by hand from the parameters
        float[] p = model.parameters();
        double[] h = new double[2];
        for (int k = 0; k < 2; k++) {
            h[k] = p[2 * inputs + k]; // b1
            for (int j = 0; j < inputs; j++) {
                h[k] += p[k * inputs + j];
            }
        }
        int w2 = 2 * inputs + 2;
        double[] z = new double[2];
        for (int k = 0; k < 2; k++) {
            z[k] = p[w2 + 4 + k] + h[0] * p[w2 + k * 2] + h[1] * p[w2 + k * 2 + 1];
        }
        double logP0 = z[0] - Math.log(Math.exp(z[0]) + Math.exp(z[1]));
        Evaluation e = trainer.evaluate(model, 1);
        assertEquals(-logP0, e.loss(), 1e-5);
        assertEquals(e.loss(), trainer.evaluate(model, 1).loss(), 0, "no randomness in evaluation");
    }
}
