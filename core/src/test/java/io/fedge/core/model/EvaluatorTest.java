package io.fedge.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class EvaluatorTest {
    private static final int N = 37;
    private static final int INPUTS = 28 * 28;
    private static final int CLASSES = 10;
    /** Examples [0, CORRECT) are labelled with the network's own prediction, the rest with another class. */
    private static final int CORRECT = 23;

    private static MultiLayerNetwork net;
    private static float[][] features;
    private static float[][] probabilities;
    private static int[] labels;
    private static DataSet data;

    @BeforeAll
    static void buildNetworkAndData() {
        net = new MultiLayerNetwork(ModelPresets.mlp(11, 0.1));
        net.init();
        Random rng = new Random(5);
        features = new float[N][INPUTS];
        for (float[] row : features) {
            for (int j = 0; j < INPUTS; j++) {
                row[j] = rng.nextFloat();
            }
        }
        probabilities = net.output(Nd4j.create(features).castTo(DataType.FLOAT), false).toFloatMatrix();
        labels = new int[N];
        float[][] oneHot = new float[N][CLASSES];
        for (int i = 0; i < N; i++) {
            int predicted = argMax(probabilities[i]);
            labels[i] = i < CORRECT ? predicted : (predicted + 1 + rng.nextInt(CLASSES - 1)) % CLASSES;
            oneHot[i][labels[i]] = 1f;
        }
        data = new DataSet(Nd4j.create(features).castTo(DataType.FLOAT), Nd4j.create(oneHot).castTo(DataType.FLOAT));
    }

    private static int argMax(float[] v) {
        int best = 0;
        for (int j = 1; j < v.length; j++) {
            if (v[j] > v[best]) {
                best = j;
            }
        }
        return best;
    }

    /** Mean of -log p(true class), from the whole-batch forward pass, in plain loops. */
    private static double handLoss() {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            sum -= Math.log(Math.max(probabilities[i][labels[i]], 1e-12));
        }
        return sum / N;
    }

    @Test
    void accuracyAndLossMatchAHandComputation() {
        Evaluation e = new Evaluator(data, 10).evaluate(net); // batches of 10, 10, 10 and 7

        assertEquals(N, e.examples());
        assertEquals((double) CORRECT / N, e.accuracy(), 1e-12);
        double expectedLoss = handLoss();
        assertTrue(expectedLoss > 0.5, "an untrained net should be unsure: " + expectedLoss);
        assertEquals(expectedLoss, e.loss(), 1e-5 * expectedLoss);
    }

    @Test
    void batchSizeDoesNotChangeTheResult() {
        double expectedLoss = handLoss();
        for (int batch : new int[] {1, 7, N, 1000}) {
            Evaluation e = new Evaluator(data, batch).evaluate(net);
            assertEquals(N, e.examples(), "batch " + batch);
            assertEquals((double) CORRECT / N, e.accuracy(), 1e-12, "batch " + batch);
            assertEquals(expectedLoss, e.loss(), 1e-5 * expectedLoss, "batch " + batch);
        }
    }

    @Test
    void evaluatesOnlyWhatItWasGiven() {
        // The first CORRECT examples are all classified correctly.
        DataSet head = new DataSet(
                data.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, CORRECT),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).dup(),
                data.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, CORRECT),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).dup());
        Evaluator evaluator = new Evaluator(head, 4);
        assertEquals(CORRECT, evaluator.examples());
        assertEquals(1.0, evaluator.evaluate(net).accuracy(), 0.0);
    }

    @Test
    void confusionMatrixCountsTheNetworksPredictionsAgainstTheLabels() {
        long[][] expected = new long[CLASSES][CLASSES];
        for (int i = 0; i < N; i++) {
            expected[labels[i]][argMax(probabilities[i])]++;
        }
        Evaluation e = new Evaluator(data, 10).evaluate(net);
        io.fedge.core.metrics.ClassificationMetrics m = (io.fedge.core.metrics.ClassificationMetrics) e.metrics();
        for (int a = 0; a < CLASSES; a++) {
            assertArrayEquals(expected[a], m.confusion()[a], "row " + a);
        }
        assertEquals(e.accuracy(), m.accuracy(), 1e-15);
        assertEquals(e.loss(), m.loss(), 1e-12);
    }

    @Test
    void aRegressionModelReportsItsMeanSquaredErrorAndNoAccuracy() {
        MultiLayerNetwork regression = new MultiLayerNetwork(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .seed(3).dataType(DataType.FLOAT).list()
                .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                        org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MSE).nIn(INPUTS).nOut(2)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build())
                .build());
        regression.init();
        float[][] predicted = regression.output(Nd4j.create(features).castTo(DataType.FLOAT), false).toFloatMatrix();
        float[][] targets = new float[N][2];
        double squared = 0;
        double absolute0 = 0;
        for (int i = 0; i < N; i++) {
            targets[i][0] = i * 0.1f;
            targets[i][1] = -i;
            for (int t = 0; t < 2; t++) {
                double d = (double) predicted[i][t] - targets[i][t];
                squared += d * d;
            }
            absolute0 += Math.abs((double) predicted[i][0] - targets[i][0]);
        }
        DataSet d = new DataSet(Nd4j.create(features).castTo(DataType.FLOAT), Nd4j.create(targets).castTo(DataType.FLOAT));
        Evaluation e = new Evaluator(d, 8).evaluate(regression);
        assertEquals(N, e.examples());
        assertTrue(Double.isNaN(e.accuracy()));
        assertEquals(squared / (2.0 * N), e.loss(), 1e-9 * e.loss());
        io.fedge.core.metrics.RegressionMetrics m = (io.fedge.core.metrics.RegressionMetrics) e.metrics();
        assertEquals(absolute0 / N, m.mae(0), 1e-9 * m.mae(0));
        // DL4J's own MSE score of the same batch, without regularization
        regression.setInput(d.getFeatures());
        regression.setLabels(d.getLabels());
        regression.computeGradientAndScore();
        assertEquals(regression.score(), e.loss(), 1e-4 * e.loss());
    }

    @Test
    void refusesNonPositiveBatchSize() {
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(data, 0));
    }
}
