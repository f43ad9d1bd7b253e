package io.fedge.client;

import io.fedge.core.LocalTraining;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import io.fedge.core.model.ParameterSpans;
import io.fedge.core.model.ResNetProvider;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local corrections on ComputationGraphs, against a second path: DL4J's own gradient of the
 * graph ({@code computeGradientAndScore}, the minibatch sum; BatchNorm's running statistics carry
 * their update there) at each point of the trajectory, with the formulas of momentum, FedProx and
 * SCAFFOLD applied by hand. Every epoch is one step over the whole local data (batch = n), so the
 * shuffle does not change the step.
 */
class GraphCorrectionsTest {
    private static final double LR = 0.05;
    private static final int N = 8;

    /** The residual graph with BatchNorm fedge ships, on 1x4x4 images and 3 classes. */
    static GlobalModel residual() {
        return Dl4jModels.initialModel(new ResNetProvider().configuration(new InputShape.Image(1, 4, 4), 3, 7, LR).json());
    }

    /** Two inputs, 3 features into a dense layer and a flat 1x2x2 image into a convolution with BatchNorm, merged. */
    static GlobalModel twoInputs() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Sgd(LR)).graphBuilder()
                .addInputs("a", "b")
                .addLayer("da", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "a")
                .addLayer("cb", new ConvolutionLayer.Builder(1, 1).nOut(2).activation(Activation.IDENTITY).build(), "b")
                .addLayer("bn", new BatchNormalization.Builder().activation(Activation.RELU).build(), "cb")
                .addLayer("db", new DenseLayer.Builder().nOut(3).activation(Activation.TANH).build(), "bn")
                .addVertex("m", new MergeVertex(), "da", "db")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .build(), "m")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(3), InputType.convolutionalFlat(2, 2, 1))
                .build();
        return Dl4jModels.initialModel(conf.toJson());
    }

    static DataSet data(int features) {
        INDArray x = Nd4j.create(DataType.FLOAT, N, features);
        INDArray y = Nd4j.zeros(DataType.FLOAT, N, 3);
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < features; j++) {
                x.putScalar(i, j, ((i * 7 + j * 5) % 11) / 11f - 0.3f);
            }
            y.putScalar(i, i % 3, 1f);
        }
        return new DataSet(x, y);
    }

    /** DL4J's gradient of the graph at {@code w} on all the data: the minibatch sum, statistics' updates as they are. */
    private static float[] dl4jGradient(GlobalModel model, float[] w, DataSet data) {
        Network net = Dl4jModels.network(model);
        net.setParameters(w);
        ComputationGraph g = net.graph();
        g.setInputs(net.layout().inputs(data.getFeatures()));
        g.setLabels(data.getLabels());
        g.computeGradientAndScore();
        return g.gradient().gradient().dup().ravel().toFloatVector();
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tolerance, what + ": value " + at + " is " + (at < 0 ? 0 : actual[at]) + ", expected "
                + (at < 0 ? 0 : expected[at]) + " (off by " + worst + ")");
    }

    private static float[] trained(GlobalModel model, LocalUpdate u) {
        float[] w = model.parameters();
        for (int i = 0; i < w.length; i++) {
            w[i] += u.delta()[i];
        }
        return w;
    }

    /** Plain local training is DL4J's step: w - lr g / n for trained parameters, w - update for the statistics. */
    private static void plainStepIsDl4jsOwn(GlobalModel model, DataSet data) {
        float[] w0 = model.parameters();
        ParameterSpans stats = Dl4jModels.network(model).statistics();
        float[] g = dl4jGradient(model, w0, data);
        float[] expected = new float[w0.length];
        for (int i = 0; i < w0.length; i++) {
            expected[i] = stats.contains(i) ? w0[i] - g[i] : (float) (w0[i] - LR * g[i] / N);
        }
        LocalUpdate u = new LocalTrainer(data).train(model, 1, N, LR, 5);
        assertClose(expected, trained(model, u), 2e-6, "plain step");
    }

    /**
     * Two steps with momentum m, FedProx mu and SCAFFOLD's d = c - c_i, by hand from DL4J's gradients:
     * v1 = g(w0), w1 = w0 - lr (v1 + d); v2 = m v1 + g(w1) + mu (w1 - w0), w2 = w1 - lr (v2 + d);
     * the running statistics move by DL4J's own update at each point, with no correction.
     */
    private static void correctedStepsByHand(GlobalModel model, DataSet data) {
        double m = 0.9;
        double mu = 0.5;
        float[] w0 = model.parameters();
        int p = w0.length;
        ParameterSpans stats = Dl4jModels.network(model).statistics();
        float[] c = new float[p];
        float[] ci = new float[p];
        for (int i = 0; i < p; i++) {
            c[i] = 0.02f * (i % 7 - 3);
            ci[i] = -0.01f * (i % 5 - 2);
        }
        LocalUpdate u = new LocalTrainer(data).train(model, 2, N, LR, 5,
                LocalTraining.NONE.withMomentum(m).withProximalMu(mu).withScaffold(true), c, ci);

        float[] g0 = dl4jGradient(model, w0, data);
        float[] v = new float[p];
        float[] w1 = new float[p];
        for (int i = 0; i < p; i++) {
            if (stats.contains(i)) {
                w1[i] = w0[i] - g0[i];
            } else {
                v[i] = g0[i] / N;
                w1[i] = (float) (w0[i] - LR * (v[i] + c[i] - ci[i]));
            }
        }
        float[] g1 = dl4jGradient(model, w1, data);
        float[] w2 = new float[p];
        for (int i = 0; i < p; i++) {
            if (stats.contains(i)) {
                w2[i] = w1[i] - g1[i];
            } else {
                double v2 = m * v[i] + g1[i] / N + mu * (w1[i] - w0[i]);
                w2[i] = (float) (w1[i] - LR * (v2 + c[i] - ci[i]));
            }
        }
        assertTrue(!stats.isEmpty(), "the model has running statistics");
        assertClose(w2, trained(model, u), 5e-6, "momentum + FedProx + SCAFFOLD, two steps");

        // c_i+ = c_i - c + (x - y) / (K lr) on the trained coordinates; zero on the statistics
        for (int i = 0; i < p; i++) {
            double expected = stats.contains(i) ? 0 : ci[i] - c[i] - u.delta()[i] / (2 * LR);
            assertEquals(expected, u.controlVariate()[i], 1e-4, "c_i+ " + i);
            assertEquals(u.controlVariate()[i] - ci[i], u.delta()[p + i], 1e-6, "control delta " + i);
        }
    }

    @Test
    void aResidualGraphWithBatchNormTrainsAsDl4jAndCorrectsByHand() {
        GlobalModel model = residual();
        DataSet data = data(16);
        plainStepIsDl4jsOwn(model, data);
        correctedStepsByHand(model, data);
    }

    @Test
    void aTwoInputGraphTrainsOnSplitRowsAsDl4jAndCorrectsByHand() {
        GlobalModel model = twoInputs();
        DataSet data = data(7);
        plainStepIsDl4jsOwn(model, data);
        correctedStepsByHand(model, data);
    }
}
