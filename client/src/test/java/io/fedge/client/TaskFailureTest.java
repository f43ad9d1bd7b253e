package io.fedge.client;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.SecAggSetup;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.model.GlobalModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Every way a task can fail on the client (download, delta, decode, instructions, training,
 * encoding, secure setup) reaches the coordinator as an Error naming the task's round, and the
 * model transfer where the failure is the transfer's, so the round need not wait for its deadline.
 */
class TaskFailureTest {
    private static final long ROUND = 7;
    private static final long MODEL_TRANSFER = (1L << 62) | 42;

    private final LinkHarness link = new LinkHarness(null);

    @AfterEach
    void close() {
        link.close();
    }

    private static TrainTask.Builder task(long version, TransferHeader model) {
        return TrainTask.newBuilder().setRound(ROUND).setModelVersion(version).setLocalEpochs(1).setBatchSize(4)
                .setLearningRate(0.1).setCodec("fp32").setSeed(3).setModel(model == null ? TransferHeader.getDefaultInstance()
                        : model);
    }

    private static Envelope envelope(TrainTask.Builder t) {
        return Envelope.newBuilder().setTrainTask(t).build();
    }

    private void assertError(ErrorCode code, long transferId) {
        Envelope answer = link.next();
        assertEquals(Envelope.BodyCase.ERROR, answer.getBodyCase(), "expected an Error, got " + answer);
        assertEquals(code, answer.getError().getCode(), answer.getError().getMessage());
        assertEquals(ROUND, answer.getError().getRound(), "the error names the task's round");
        assertEquals(transferId, answer.getError().getTransferId());
        assertNull(link.poll(), "one error, nothing else");
    }

    /** Trains on a model for the task built from {@code t}, with the model's header and chunks. */
    private void trainOn(byte[] payload, TrainTask.Builder t) {
        link.receiveTaskAndModel(envelope(t.setModel(LinkHarness.header(MODEL_TRANSFER, payload))), MODEL_TRANSFER,
                payload);
    }

    @Test
    void aCorruptDownloadNamesTheRoundAndTheModelTransfer() {
        byte[] model = TinyModels.model(5).encode();
        TransferHeader header = LinkHarness.header(MODEL_TRANSFER, model);
        byte[] tampered = model.clone();
        tampered[tampered.length - 1] ^= 1;
        link.receive(envelope(task(5, header)));
        for (Envelope c : LinkHarness.chunks(MODEL_TRANSFER, tampered)) {
            link.receive(c);
        }
        assertError(ErrorCode.DIGEST_MISMATCH, MODEL_TRANSFER);
    }

    @Test
    void aChunkOutOfOrderNamesTheRoundAndTheModelTransfer() {
        byte[] model = TinyModels.model(5).encode();
        link.receive(envelope(task(5, LinkHarness.header(MODEL_TRANSFER, model))));
        List<Envelope> chunks = LinkHarness.chunks(MODEL_TRANSFER, model);
        link.receive(chunks.get(1));
        assertError(ErrorCode.TRANSFER_OUT_OF_ORDER, MODEL_TRANSFER);
    }

    @Test
    void aDeltaAgainstAModelThisClientDoesNotHoldIsStaleForThatRound() {
        byte[] delta = new byte[100];
        trainOn(delta, task(6, null).setModelIsDelta(true).setModelDeltaBase(5));
        assertError(ErrorCode.STALE_MODEL, MODEL_TRANSFER);
    }

    @Test
    void aModelThatDoesNotDecodeNamesTheRound() {
        byte[] garbage = new byte[200];
        Arrays.fill(garbage, (byte) 7);
        trainOn(garbage, task(5, null));
        assertError(ErrorCode.MALFORMED, MODEL_TRANSFER);
    }

    @Test
    void aNonFiniteModelNamesTheRound() {
        GlobalModel good = TinyModels.model(5);
        float[] p = good.parameters();
        p[3] = Float.NaN;
        trainOn(good.withParameters(5, p).encode(), task(5, null));
        assertError(ErrorCode.NON_FINITE, MODEL_TRANSFER);
    }

    @Test
    void aTaskForAnotherModelVersionNamesTheRound() {
        trainOn(TinyModels.model(5).encode(), task(4, null));
        assertError(ErrorCode.STALE_MODEL, MODEL_TRANSFER);
    }

    @Test
    void aTrainingExceptionNamesTheRound() {
        // a network of 5 inputs cannot train on data of 4 features: DL4J throws
        trainOn(TinyModels.model(5, TinyModels.FEATURES + 1).encode(), task(5, null));
        assertError(ErrorCode.INTERNAL, 0);
    }

    @Test
    void trainingThatDivergesIsRefusedAsNonFiniteNamingTheRound() {
        // a learning rate of 1e300 (infinite as a float) sends the tiny network's parameters to infinity
        trainOn(TinyModels.model(5).encode(), task(5, null).setLearningRate(1e300));
        Envelope answer = link.next();
        assertEquals(ErrorCode.NON_FINITE, answer.getError().getCode(), answer.getError().getMessage());
        assertEquals(ROUND, answer.getError().getRound());
        org.junit.jupiter.api.Assertions.assertTrue(answer.getError().getMessage().startsWith("local training diverged"),
                answer.getError().getMessage());
    }

    @Test
    void anUnknownCodecNamesTheRound() {
        trainOn(TinyModels.model(5).encode(), task(5, null).setCodec("no-such-codec"));
        assertError(ErrorCode.UNSUPPORTED_CODEC, 0);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void instructionsNoTrainingCanFollowAreRefusedForThatRound() {
        // refused before the download: the model's chunks are dropped without another error
        trainOn(TinyModels.model(5).encode(), task(5, null).setBatchSize(0));
        assertError(ErrorCode.MALFORMED, MODEL_TRANSFER);
        trainOn(TinyModels.model(5).encode(), task(5, null).setLearningRate(Double.NaN));
        assertError(ErrorCode.MALFORMED, MODEL_TRANSFER);
        trainOn(TinyModels.model(5).encode(), task(5, null).setLocalEpochs(0));
        assertError(ErrorCode.MALFORMED, MODEL_TRANSFER);
    }

    @Test
    void aSecureSetupThatCannotWorkNamesTheRound() {
        byte[] model = TinyModels.model(5).encode();
        link.receive(envelope(task(5, LinkHarness.header(MODEL_TRANSFER, model))
                .setSecureAggregation(SecAggSetup.newBuilder().setWordBits(7))));
        assertError(ErrorCode.MALFORMED, MODEL_TRANSFER);
    }

    @Test
    void aFailedEvaluationNamesItsRound() {
        byte[] garbage = new byte[80];
        Envelope evaluate = Envelope.newBuilder().setEvaluateTask(EvaluateTask.newBuilder().setRound(ROUND)
                .setModelVersion(5).setBatchSize(4).setModel(LinkHarness.header(MODEL_TRANSFER, garbage))).build();
        link.receiveTaskAndModel(evaluate, MODEL_TRANSFER, garbage);
        assertError(ErrorCode.MALFORMED, MODEL_TRANSFER);
    }

    @Test
    void aGoodTaskIsTrainedAndAnnouncedForItsRound() {
        trainOn(TinyModels.model(5).encode(), task(5, null));
        Envelope answer = link.next();
        assertEquals(Envelope.BodyCase.TRAIN_RESULT, answer.getBodyCase(), answer.toString());
        assertEquals(ROUND, answer.getTrainResult().getRound());
        assertEquals(5, answer.getTrainResult().getModelVersion());
        assertEquals(8, answer.getTrainResult().getNumExamples());
        assertEquals(TinyModels.model(5).parameterCount(), answer.getTrainResult().getUpdate().getElementCount());
    }
}
