package io.fedge.client;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.comm.signing.TaskSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A client that pins the coordinator's key takes only tasks the coordinator signed for it, whole:
 * an unsigned task, one altered after signing, one signed for another client or with another key
 * is refused with BAD_SIGNATURE for its round before a byte of the model is taken.
 */
class SignedTaskTest {
    private static final long ROUND = 11;
    private static final long MODEL_TRANSFER = (1L << 62) | 5;

    private final KeyPair coordinator = ModelSigner.newKeyPair();
    private final LinkHarness link = new LinkHarness(coordinator.getPublic());
    private final byte[] model = TinyModels.model(3).encode();
    private final TransferHeader header = ModelSigner.sign(LinkHarness.header(MODEL_TRANSFER, model),
            coordinator.getPrivate());

    @AfterEach
    void close() {
        link.close();
    }

    private TrainTask task() {
        return TrainTask.newBuilder().setRound(ROUND).setModelVersion(3).setLocalEpochs(1).setBatchSize(4)
                .setLearningRate(0.1).setCodec("fp32").setSeed(9).setModel(header).build();
    }

    private void send(TrainTask t) {
        link.receiveTaskAndModel(Envelope.newBuilder().setTrainTask(t).build(), MODEL_TRANSFER, model);
    }

    private void assertRefused() {
        Envelope answer = link.next();
        assertEquals(Envelope.BodyCase.ERROR, answer.getBodyCase(), "expected a refusal, got " + answer);
        assertEquals(ErrorCode.BAD_SIGNATURE, answer.getError().getCode(), answer.getError().getMessage());
        assertEquals(ROUND, answer.getError().getRound());
        assertEquals(MODEL_TRANSFER, answer.getError().getTransferId());
        assertNull(link.poll(), "the model's chunks are dropped: no training, no second error");
    }

    @Test
    void aTaskSignedForThisClientIsTrained() {
        send(TaskSigner.sign(task(), LinkHarness.CLIENT_ID, coordinator.getPrivate()));
        Envelope answer = link.next();
        assertEquals(Envelope.BodyCase.TRAIN_RESULT, answer.getBodyCase(), answer.toString());
        assertEquals(ROUND, answer.getTrainResult().getRound());
    }

    @Test
    void anUnsignedTaskIsRefused() {
        send(task());
        assertRefused();
    }

    @Test
    void aTaskAlteredAfterSigningIsRefused() {
        TrainTask signed = TaskSigner.sign(task(), LinkHarness.CLIENT_ID, coordinator.getPrivate());
        send(signed.toBuilder().setLearningRate(10).build());
        assertRefused();
    }

    @Test
    void aTaskSignedForAnotherClientIsRefused() {
        send(TaskSigner.sign(task(), "device-2", coordinator.getPrivate()));
        assertRefused();
    }

    @Test
    void aTaskSignedWithAnotherKeyIsRefused() {
        send(TaskSigner.sign(task(), LinkHarness.CLIENT_ID, ModelSigner.newKeyPair().getPrivate()));
        assertRefused();
    }

    @Test
    void evaluationTasksAreCheckedToo() {
        EvaluateTask evaluate = EvaluateTask.newBuilder().setRound(ROUND).setModelVersion(3).setBatchSize(4)
                .setModel(header).build();
        link.receiveTaskAndModel(Envelope.newBuilder().setEvaluateTask(evaluate).build(), MODEL_TRANSFER, model);
        assertRefused();
        link.receiveTaskAndModel(Envelope.newBuilder().setEvaluateTask(
                TaskSigner.sign(evaluate, LinkHarness.CLIENT_ID, coordinator.getPrivate())).build(), MODEL_TRANSFER, model);
        Envelope answer = link.next();
        assertEquals(Envelope.BodyCase.EVALUATE_RESULT, answer.getBodyCase(), answer.toString());
        assertEquals(ROUND, answer.getEvaluateResult().getRound());
        assertEquals(8, answer.getEvaluateResult().getNumExamples());
    }

    @Test
    void aSignedScaffoldTaskTrainsAndAnotherControlVariateUnderItIsRefused() {
        long controlTransfer = (1L << 62) | (1L << 60) | ROUND;
        int p = TinyModels.model(3).parameterCount();
        float[] c = new float[p];
        java.util.Arrays.fill(c, 0.01f);
        byte[] control = io.fedge.comm.LocalTrainingMessages.encodeControlVariate(c);
        TrainTask scaffold = task().toBuilder().setLocalTraining(io.fedge.comm.proto.LocalTraining.newBuilder()
                .setScaffold(true).setControlVariate(LinkHarness.header(controlTransfer, control).toBuilder()
                        .setElementCount(p))).build();
        TrainTask signed = TaskSigner.sign(scaffold, LinkHarness.CLIENT_ID, coordinator.getPrivate());
        send(signed);
        for (Envelope chunk : LinkHarness.chunks(controlTransfer, control)) {
            link.receive(chunk);
        }
        Envelope answer = link.next();
        assertEquals(Envelope.BodyCase.TRAIN_RESULT, answer.getBodyCase(), answer.toString());
        assertEquals(2 * p, answer.getTrainResult().getUpdate().getElementCount());

        // a relay that swaps in its own c must change the header's digest, which the signature covers
        float[] forged = c.clone();
        forged[0] = 100;
        byte[] forgedBytes = io.fedge.comm.LocalTrainingMessages.encodeControlVariate(forged);
        TrainTask swapped = signed.toBuilder().setLocalTraining(signed.getLocalTraining().toBuilder()
                .setControlVariate(LinkHarness.header(controlTransfer, forgedBytes).toBuilder().setElementCount(p)))
                .build();
        send(swapped);
        for (Envelope chunk : LinkHarness.chunks(controlTransfer, forgedBytes)) {
            link.receive(chunk);
        }
        assertRefused();
    }
}
