package io.fedge.client;

import io.fedge.core.LocalTraining;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.Evaluator;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.Network;
import io.fedge.core.model.ParameterSpans;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * FedBN in local training: two rounds of one client, against plain training of models built by
 * hand (the global parameters with the client's BatchNorm values written in).
 */
class FedBnTrainingTest {
    private static final double LR = 0.05;

    @Test
    void batchNormStaysOnTheClientAcrossTwoRoundsAndTheUpdateIsZeroThere() {
        GlobalModel g0 = GraphCorrectionsTest.residual();
        DataSet data = GraphCorrectionsTest.data(16);
        ParameterSpans bn = Dl4jModels.network(g0).batchNormParameters();
        int p = g0.parameterCount();
        LocalTrainer trainer = new LocalTrainer(data);
        LocalTraining fedBn = LocalTraining.NONE.withLocalBatchNorm(true);

        // round 1: nothing kept yet, the client starts from the global model's BatchNorm
        LocalUpdate r1 = trainer.train(g0, 2, 4, LR, 9, fedBn, null, null, null);
        float[] plain1 = new LocalTrainer(data).train(g0, 2, 4, LR, 9).delta();
        float[] t1 = g0.parameters();
        for (int i = 0; i < p; i++) {
            t1[i] += plain1[i]; // what plain training reaches
        }
        for (int i = 0; i < p; i++) {
            assertEquals(bn.contains(i) ? 0f : plain1[i], r1.delta()[i], 0f, "round 1, value " + i);
        }
        assertArrayEquals(bn.gather(t1), r1.batchNorm(), 1e-7f, "the client keeps its trained BatchNorm (float rounding of x + (y - x))");

        // round 2: a new global model moved everywhere, BatchNorm included (a server's noise, say)
        float[] moved = g0.parameters();
        for (int i = 0; i < p; i++) {
            moved[i] += 0.01f * (i % 9 - 4);
        }
        GlobalModel g1 = g0.withParameters(1, moved);
        LocalUpdate r2 = trainer.train(g1, 1, 4, LR, 10, fedBn, null, null, r1.batchNorm());
        // by hand: the global parameters with the kept BatchNorm written in, trained plainly
        float[] start = g1.parameters();
        bn.scatter(r1.batchNorm(), start);
        GlobalModel byHand = g1.withParameters(1, start);
        float[] plain2 = new LocalTrainer(data).train(byHand, 1, 4, LR, 10).delta();
        float[] t2 = start.clone();
        for (int i = 0; i < p; i++) {
            t2[i] += plain2[i];
        }
        for (int i = 0; i < p; i++) {
            assertEquals(bn.contains(i) ? 0f : plain2[i], r2.delta()[i], 0f, "round 2, value " + i);
        }
        assertArrayEquals(bn.gather(t2), r2.batchNorm(), 1e-7f);
        assertFalse(Arrays.equals(bn.gather(g1.parameters()), r2.batchNorm()), "not the global model's BatchNorm");

        // evaluation with the kept BatchNorm is evaluation of the model built by hand
        float[] evalParams = g1.parameters();
        bn.scatter(r2.batchNorm(), evalParams);
        Evaluation expected = new Evaluator(data, 3).evaluate(Dl4jModels.network(g1.withParameters(1, evalParams)));
        Evaluation kept = trainer.evaluate(g1, 3, r2.batchNorm());
        assertEquals(expected.loss(), kept.loss(), 0);
        assertEquals(expected.accuracy(), kept.accuracy(), 0);
        assertFalse(trainer.evaluate(g1, 3).loss() == kept.loss(), "the global BatchNorm evaluates otherwise");

        // kept values of another length are refused, and averaged BatchNorm keeps nothing
        assertThrows(IllegalArgumentException.class, () -> trainer.train(g1, 1, 4, LR, 10, fedBn, null, null,
                new float[bn.count() - 1]));
        assertNull(trainer.train(g1, 1, 4, LR, 10).batchNorm());
        assertEquals(bn.count(), LocalTrainer.batchNormCount(g1.configJson()));
    }

    @Test
    void underScaffoldBatchNormGetsNoCorrectionAndNoControlVariate() {
        GlobalModel g0 = GraphCorrectionsTest.residual();
        DataSet data = GraphCorrectionsTest.data(16);
        Network net = Dl4jModels.network(g0);
        ParameterSpans bn = net.batchNormParameters();
        int p = g0.parameterCount();
        float[] c = new float[p];
        Arrays.fill(c, 0.02f);
        LocalUpdate u = new LocalTrainer(data).train(g0, 1, 8, LR, 3,
                LocalTraining.NONE.withScaffold(true).withLocalBatchNorm(true), c, new float[p], null);
        // one step of batch 8: gamma and beta move by the plain step alone (no -lr c), statistics by DL4J's update
        float[] plain = new LocalTrainer(data).train(g0, 1, 8, LR, 3).delta();
        for (int i = 0; i < p; i++) {
            if (bn.contains(i)) {
                assertEquals(0f, u.delta()[i], 0f, "FedBN sends nothing of BatchNorm");
                assertEquals(0f, u.controlVariate()[i], 0f, "c_i+ " + i);
                assertEquals(0f, u.delta()[p + i], 0f);
                assertEquals(g0.parameter(i) + plain[i], u.batchNorm()[indexIn(bn, i)], 1e-7, "kept " + i);
            } else {
                assertEquals(plain[i] - LR * c[i], u.delta()[i], 2e-6, "corrected " + i);
            }
        }
    }

    @Test
    void underClientPrivacyTheClipBoundsWhatIsSentAndNoNoiseTakesBatchNormsPlace() {
        GlobalModel g0 = GraphCorrectionsTest.residual();
        DataSet data = GraphCorrectionsTest.data(16);
        ParameterSpans bn = Dl4jModels.network(g0).batchNormParameters();
        LocalTraining fedBn = LocalTraining.NONE.withLocalBatchNorm(true);
        float[] sent = new LocalTrainer(data).train(g0, 1, 4, LR, 9, fedBn, null, null, null).delta();
        double norm = 0;
        for (float v : sent) {
            norm += (double) v * v;
        }
        norm = Math.sqrt(norm); // of what is sent: zero at BatchNorm
        double sigma = 0.001;
        LocalTrainer trainer = new LocalTrainer(data);
        trainer.privacyNoise(new java.util.Random(21));
        LocalUpdate dp = trainer.train(g0, 1, 4, LR, 9, fedBn.withPrivacy(norm / 2, sigma), null, null, null);
        // by hand: half of what is sent, plus one seeded draw per coordinate; zero at BatchNorm
        java.util.Random draws = new java.util.Random(21);
        for (int i = 0; i < sent.length; i++) {
            double noise = sigma * draws.nextGaussian();
            assertEquals(bn.contains(i) ? 0 : sent[i] * 0.5 + noise, dp.delta()[i], 1e-7, "value " + i);
        }
    }

    private static int indexIn(ParameterSpans spans, int coordinate) {
        int at = 0;
        for (int s = 0; s < spans.spans(); s++) {
            if (coordinate < spans.end(s)) {
                return at + coordinate - spans.start(s);
            }
            at += spans.end(s) - spans.start(s);
        }
        throw new IllegalArgumentException("not in the spans: " + coordinate);
    }
}
