package io.fedge.client;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The corrections of local training against an independent second path: plain DL4J steps on a
 * fresh network, one minibatch at a time in the order the trainer's seed gives, and the formulas
 * applied to them by hand. The tiny model has 23 parameters and 8 examples; batches of 4 make two
 * steps per epoch.
 */
class LocalCorrectionsTest {
    private static final DataSet DATA = TinyModels.data();
    private static final GlobalModel MODEL = TinyModels.model(3);
    private static final int P = MODEL.parameterCount();
    private static final int BATCH = 4;
    private static final double LR = 0.1;
    private static final long SEED = 11;

    /** The rows of the minibatch {@code step} (0 or 1) of epoch {@code epoch}, as the trainer orders them. */
    private static DataSet batch(int epoch, int step) {
        int[] order = LocalTrainer.permutation(DATA.numExamples(), SEED + epoch);
        int[] rows = Arrays.copyOfRange(order, step * BATCH, step * BATCH + BATCH);
        return new DataSet(DATA.getFeatures().getRows(rows), DATA.getLabels().getRows(rows));
    }

    /** One plain SGD step of DL4J's own from {@code w} on {@code batch}: w - lr * g(w), g the minibatch's mean gradient. */
    /** One step of the network's own training path (the lean path for the tiny model), as the trainer takes it. */
    private static float[] plainStep(float[] w, DataSet batch) {
        io.fedge.core.model.Network net = io.fedge.core.model.Network.fromJson(MODEL.configJson());
        net.setParameters(w);
        net.setLearningRate(LR);
        net.fit(batch.getFeatures(), batch.getLabels());
        return net.parameters();
    }

    /** One step of DL4J's own fit. */
    private static float[] dl4jStep(float[] w, DataSet batch) {
        MultiLayerNetwork net = Dl4jModels.instantiate(MODEL.configJson());
        Dl4jModels.setParameters(net, w);
        net.setLearningRate(LR);
        net.fit(batch);
        return Dl4jModels.parameters(net);
    }

    private static float[] minus(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    /** The trained parameters {@code x + delta} of an update's model half. */
    private static float[] trained(LocalUpdate u) {
        float[] w = MODEL.parameters();
        for (int i = 0; i < P; i++) {
            w[i] += u.delta()[i];
        }
        return w;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, what + ", value " + i);
        }
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static <T> T onFreshThread(java.util.concurrent.Callable<T> work) throws Exception {
        ExecutorService t = Executors.newSingleThreadExecutor();
        try {
            return t.submit(work).get();
        } finally {
            t.shutdownNow();
        }
    }

    @Test
    void plainTrainingIsDl4jsOwnStepsBitForBit() {
        LocalUpdate u = new LocalTrainer(DATA).train(MODEL, 2, BATCH, LR, SEED);
        float[] w = MODEL.parameters();
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int step = 0; step < 2; step++) {
                w = plainStep(w, batch(epoch, step));
            }
        }
        assertArrayEquals(minus(w, MODEL.parameters()), u.delta(), 0f, "no correction, no change: bit for bit");
        assertNull(u.controlVariate());
        float[] dl4j = MODEL.parameters();
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int step = 0; step < 2; step++) {
                dl4j = dl4jStep(dl4j, batch(epoch, step));
            }
        }
        // the lean path's float rounding is not DL4J's: the same steps within float tolerance
        assertClose(minus(dl4j, MODEL.parameters()), u.delta(), 1e-6 * Math.max(1, maxAbs(u.delta())) + 1e-7,
                "DL4J's own fit");
    }

    @Test
    void batchNormWithMomentumAndFedProxTrainsOnTheLeanPathAsOnDl4jsFit() throws Exception {
        // the listener's corrections on the lean path's gradient, BatchNorm's running statistics among
        // its coordinates (moved by their NoOp "gradient", which the corrections leave alone), against
        // the same training on DL4J's fit; fresh threads: networks are cached per thread
        GlobalModel bn = TinyModels.batchNormModel(3);
        LocalTraining local = LocalTraining.NONE.withMomentum(0.9).withProximalMu(0.1);
        java.util.concurrent.Callable<float[]> train = () ->
                new LocalTrainer(DATA).train(bn, 3, BATCH, LR, SEED, local, null, null).delta();
        assertTrue(io.fedge.core.model.Network.fromJson(bn.configJson()).trainingPath().startsWith(
                "lean training path: dense 4->3 identity, batchnorm 3"));
        float[] lean = onFreshThread(train);
        String before = System.getProperty(io.fedge.core.model.lean.LeanNetwork.PROPERTY);
        float[] dl4j;
        try {
            System.setProperty(io.fedge.core.model.lean.LeanNetwork.PROPERTY, "dl4j");
            dl4j = onFreshThread(train);
        } finally {
            if (before == null) {
                System.clearProperty(io.fedge.core.model.lean.LeanNetwork.PROPERTY);
            } else {
                System.setProperty(io.fedge.core.model.lean.LeanNetwork.PROPERTY, before);
            }
        }
        assertClose(dl4j, lean, 1e-5 * Math.max(1, maxAbs(dl4j)), "lean against DL4J's fit");
        double moved = maxAbs(io.fedge.core.model.Network.fromJson(bn.configJson()).statistics().gather(lean));
        assertTrue(moved > 1e-3, "the running statistics moved: " + moved);
    }

    @Test
    void fedProxWithMuZeroAndNoMomentumIsPlainTrainingBitForBit() {
        LocalTrainer trainer = new LocalTrainer(DATA);
        float[] plain = trainer.train(MODEL, 2, BATCH, LR, SEED).delta();
        LocalTraining off = LocalTraining.NONE.withProximalMu(0).withMomentum(0);
        assertArrayEquals(plain, trainer.train(MODEL, 2, BATCH, LR, SEED, off, null, null).delta(), 0f);

        // and the listener itself, installed with every correction at zero, changes no bit of DL4J's steps
        MultiLayerNetwork withListener = Dl4jModels.instantiate(MODEL);
        withListener.setLearningRate(LR);
        withListener.setListeners(new LocalCorrections(io.fedge.core.model.Network.of(withListener), LocalTraining.NONE,
                null, null, io.fedge.core.model.ParameterSpans.NONE));
        MultiLayerNetwork without = Dl4jModels.instantiate(MODEL);
        without.setLearningRate(LR);
        for (int step = 0; step < 2; step++) {
            withListener.fit(batch(0, step));
            without.fit(batch(0, step));
        }
        assertArrayEquals(Dl4jModels.parameters(without), Dl4jModels.parameters(withListener), 0f);
    }

    @Test
    void aFedProxStepAwayFromTheGlobalModelByHand() {
        double mu = 2.0;
        LocalUpdate u = new LocalTrainer(DATA).train(MODEL, 1, BATCH, LR, SEED,
                LocalTraining.NONE.withProximalMu(mu), null, null);
        float[] x = MODEL.parameters();
        // step 1 starts at w = x, where the proximal term mu (w - x) is zero: DL4J's plain step
        float[] w1 = plainStep(x, batch(0, 0));
        // step 2, at w1 != x: w2 = w1 - lr (g(w1) + mu (w1 - x)) = plainStep(w1) - lr mu (w1 - x)
        float[] plain2 = plainStep(w1, batch(0, 1));
        float[] expected = new float[P];
        for (int i = 0; i < P; i++) {
            expected[i] = (float) (plain2[i] - LR * mu * (w1[i] - x[i]));
        }
        assertTrue(maxAbs(minus(expected, plain2)) > 1e-4, "the proximal term moves the step visibly");
        assertClose(expected, trained(u), 1e-6, "FedProx step 2");
    }

    @Test
    void twoMomentumStepsByHand() {
        double m = 0.9;
        LocalUpdate u = new LocalTrainer(DATA).train(MODEL, 1, BATCH, LR, SEED, LocalTraining.NONE.withMomentum(m),
                null, null);
        float[] w0 = MODEL.parameters();
        // v1 = g0, w1 = w0 - lr g0: DL4J's plain step, as the buffer starts at zero
        float[] w1 = plainStep(w0, batch(0, 0));
        // v2 = m g0 + g1, w2 = w1 - lr m g0 - lr g1 = plainStep(w1) - m (w0 - w1), since lr g0 = w0 - w1
        float[] plain2 = plainStep(w1, batch(0, 1));
        float[] expected = new float[P];
        for (int i = 0; i < P; i++) {
            expected[i] = (float) (plain2[i] - m * (w0[i] - w1[i]));
        }
        assertTrue(maxAbs(minus(expected, plain2)) > 1e-3, "momentum moves the second step visibly");
        assertClose(expected, trained(u), 1e-6, "momentum step 2");
    }

    @Test
    void momentumStartsAtZeroInEveryTrainingOnAThreadSharedByClients() throws Exception {
        LocalTraining momentum = LocalTraining.NONE.withMomentum(0.9);
        float[] alone = onFreshThread(() -> new LocalTrainer(DATA).train(MODEL, 2, BATCH, LR, SEED, momentum, null,
                null).delta());
        float[] afterOthers = onFreshThread(() -> {
            // another client's training on the same thread's network, with its own momentum, first
            new LocalTrainer(DATA).train(MODEL.withParameters(3, minus(MODEL.parameters(), alone)), 3, 2, 0.3, 5,
                    LocalTraining.NONE.withMomentum(0.99).withProximalMu(1), null, null);
            return new LocalTrainer(DATA).train(MODEL, 2, BATCH, LR, SEED, momentum, null, null).delta();
        });
        assertArrayEquals(alone, afterOthers, 0f, "nothing of the other training leaks: bit for bit");
        // and the network goes back to plain training afterwards: no listener is left on it
        float[] plainAfter = onFreshThread(() -> {
            new LocalTrainer(DATA).train(MODEL, 1, BATCH, LR, SEED, momentum, null, null);
            return new LocalTrainer(DATA).train(MODEL, 2, BATCH, LR, SEED).delta();
        });
        assertArrayEquals(new LocalTrainer(DATA).train(MODEL, 2, BATCH, LR, SEED).delta(), plainAfter, 0f);
    }

    @Test
    void scaffoldStepsAndTheControlVariateFollowOptionTwo() {
        LocalTrainer trainer = new LocalTrainer(DATA);
        LocalTraining scaffold = LocalTraining.NONE.withScaffold(true);
        float[] c1 = new float[P];
        for (int i = 0; i < P; i++) {
            c1[i] = 0.05f * (i % 5 - 2);
        }
        float[] ci0 = new float[P];
        int epochs = 2;
        int k = epochs * 2; // K: two minibatches of 4 per epoch

        LocalUpdate first = trainer.train(MODEL, epochs, BATCH, LR, SEED, scaffold, c1, ci0);
        assertEquals(2 * P, first.delta().length, "[y - x ; c_i+ - c_i]");
        // every step is DL4J's plain step shifted by -lr (c - c_i)
        float[] w = MODEL.parameters();
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int step = 0; step < 2; step++) {
                float[] plain = plainStep(w, batch(epoch, step));
                for (int i = 0; i < P; i++) {
                    plain[i] = (float) (plain[i] - LR * (c1[i] - ci0[i]));
                }
                w = plain;
            }
        }
        assertClose(w, trained(first), 2e-6, "SCAFFOLD's corrected steps");
        float[] ci1 = checkControlVariate(first, c1, ci0, k);

        // the second training starts from c_i+ of the first, with the server's next c
        float[] c2 = new float[P];
        for (int i = 0; i < P; i++) {
            c2[i] = -0.03f * (i % 3);
        }
        GlobalModel next = MODEL.withParameters(4, trained(first));
        LocalUpdate second = trainer.train(next, epochs, BATCH, LR, SEED + 1, scaffold, c2, ci1);
        checkControlVariate(second, c2, ci1, k);
    }

    @Test
    void scaffoldsCorrectionIsAStepBesideTheMomentumNotThroughIt() {
        double m = 0.9;
        float[] c = new float[P];
        for (int i = 0; i < P; i++) {
            c[i] = 0.05f * (i % 5 - 2);
        }
        LocalUpdate u = new LocalTrainer(DATA).train(MODEL, 1, BATCH, LR, SEED,
                LocalTraining.NONE.withScaffold(true).withMomentum(m), c, new float[P]);
        // with d = c - c_i: step 1: v1 = g0, w1 = w0 - lr (g0 + d) = plainStep(w0) - lr d
        float[] w0 = MODEL.parameters();
        float[] w1 = plainStep(w0, batch(0, 0));
        for (int i = 0; i < P; i++) {
            w1[i] = (float) (w1[i] - LR * c[i]);
        }
        // step 2: v2 = m g0 + g1(w1), w2 = w1 - lr (m g0 + g1 + d) = plainStep(w1) - m lr g0 - lr d, with
        // lr g0 = w0 - w1 - lr d (from step 1): the momentum carries g0 alone, never d
        float[] plain2 = plainStep(w1, batch(0, 1));
        float[] expected = new float[P];
        for (int i = 0; i < P; i++) {
            double lrG0 = w0[i] - w1[i] - LR * c[i];
            expected[i] = (float) (plain2[i] - m * lrG0 - LR * c[i]);
        }
        assertClose(expected, trained(u), 2e-6, "SCAFFOLD with momentum, step 2");
    }

    /** c_i+ = c_i - c + (x - y) / (K lr), with x - y = -delta, and the upload's second half c_i+ - c_i. */
    private static float[] checkControlVariate(LocalUpdate u, float[] c, float[] ci, int k) {
        float[] expected = new float[P];
        for (int i = 0; i < P; i++) {
            expected[i] = (float) (ci[i] - c[i] + (-(double) u.delta()[i]) / (k * LR));
        }
        assertClose(expected, u.controlVariate(), 1e-5, "c_i+");
        for (int i = 0; i < P; i++) {
            assertEquals(u.controlVariate()[i] - ci[i], u.delta()[P + i], 1e-6, "control delta " + i);
        }
        return u.controlVariate();
    }

    @Test
    void clippingBoundsTheModelDeltaAndNoiseIsSeededOnTheModelHalfOnly() {
        LocalTrainer trainer = new LocalTrainer(DATA);
        LocalTraining scaffold = LocalTraining.NONE.withScaffold(true);
        float[] c = new float[P];
        Arrays.fill(c, 0.01f);
        float[] ci = new float[P];
        LocalUpdate raw = trainer.train(MODEL, 2, BATCH, LR, SEED, scaffold, c, ci);
        double rawNorm = norm(raw.delta(), P);
        double clip = rawNorm / 4;
        double sigma = 0.001;
        trainer.privacyNoise(new Random(5));
        LocalUpdate dp = trainer.train(MODEL, 2, BATCH, LR, SEED, scaffold.withPrivacy(clip, sigma), c, ci);

        // by hand: the raw delta scaled to the clip norm, plus sigma * N(0, 1) from the same seeded draws
        Random draws = new Random(5);
        for (int i = 0; i < P; i++) {
            double expected = raw.delta()[i] * (clip / rawNorm) + sigma * draws.nextGaussian();
            assertEquals(expected, dp.delta()[i], 1e-6, "model delta " + i);
        }
        // the control half and c_i+ come from the true delta: privacy does not touch them
        assertArrayEquals(Arrays.copyOfRange(raw.delta(), P, 2 * P), Arrays.copyOfRange(dp.delta(), P, 2 * P), 0f);
        assertArrayEquals(raw.controlVariate(), dp.controlVariate(), 0f);

        float[] plain = trainer.train(MODEL, 2, BATCH, LR, SEED).delta();
        double plainNorm = norm(plain, P);
        LocalUpdate clipped = trainer.train(MODEL, 2, BATCH, LR, SEED, LocalTraining.NONE.withPrivacy(plainNorm / 3, 0),
                null, null);
        assertEquals(plainNorm / 3, norm(clipped.delta(), P), plainNorm * 1e-6, "clipped to the bound");
        for (int i = 0; i < P; i++) {
            assertEquals(plain[i] / 3, clipped.delta()[i], 1e-7, "in the same direction, value " + i);
        }
        LocalUpdate under = trainer.train(MODEL, 2, BATCH, LR, SEED, LocalTraining.NONE.withPrivacy(plainNorm * 2, 0),
                null, null);
        assertArrayEquals(plain, under.delta(), 0f, "an update within the bound is left alone");
    }

    @Test
    void noiseHasTheConfiguredVariance() {
        int n = 200_000;
        float[] v = new float[n];
        double sigma = 0.3;
        ClientPrivacy.apply(v, n, 1e9, sigma, new Random(17));
        double sum = 0;
        double sumSquares = 0;
        for (float x : v) {
            sum += x;
            sumSquares += (double) x * x;
        }
        double mean = sum / n;
        double variance = sumSquares / n - mean * mean;
        // the sample variance of n normal draws has a relative standard error of sqrt(2 / n) = 0.32%
        assertEquals(sigma * sigma, variance, sigma * sigma * 0.015, "variance");
        assertEquals(0, mean, 4 * sigma / Math.sqrt(n), "mean");
        // the clip bounds the norm; values past length are left alone
        float[] w = {3, 4, 7};
        double before = ClientPrivacy.apply(w, 2, 1, 0, new Random(1));
        assertEquals(5, before, 0);
        assertArrayEquals(new float[] {0.6f, 0.8f, 7}, w, 1e-7f);
    }

    private static double norm(float[] v, int length) {
        double s = 0;
        for (int i = 0; i < length; i++) {
            s += (double) v[i] * v[i];
        }
        return Math.sqrt(s);
    }

    @Test
    void correctionsNeedPlainSgd() {
        MultiLayerConfiguration adam = new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(0.01)).list()
                .layer(new DenseLayer.Builder().nIn(TinyModels.FEATURES).nOut(3).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(3).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        GlobalModel model = Dl4jModels.initialModel(adam);
        LocalTrainer trainer = new LocalTrainer(DATA);
        FedgeException e = assertThrows(FedgeException.class, () -> trainer.train(model, 1, BATCH, LR, SEED,
                LocalTraining.NONE.withMomentum(0.5), null, null));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().contains("plain SGD") && e.getMessage().contains("Adam"), e.getMessage());
        // plain training of such a model is the model's own business, and its updater state starts afresh each time
        float[] once = trainer.train(model, 1, BATCH, LR, SEED).delta();
        assertArrayEquals(once, trainer.train(model, 1, BATCH, LR, SEED).delta(), 0f, "no Adam moments carried over");
        assertFalse(Arrays.equals(once, new float[P]));
    }
}
