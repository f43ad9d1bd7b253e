package io.fedge.client;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Error;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.UpdateAccepted;
import io.fedge.comm.proto.UploadReady;
import io.fedge.core.model.GlobalModel;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With a lossy codec the client carries what it could not send (error feedback), but only of an
 * update the coordinator accepted: the residual is committed on UpdateAccepted for the announced
 * transfer, not when the chunks are written, and discarded when the update is refused or the
 * connection drops.
 */
class UpdateAcceptanceTest {
    private static final long ROUND = 4;
    private static final long MODEL_TRANSFER = (1L << 62) | 77;

    private final LinkHarness link = new LinkHarness(null);
    private final GlobalModel model = TinyModels.model(2);

    @AfterEach
    void close() {
        link.close();
    }

    /** Trains round {@code ROUND} with top-10%, lets the coordinator admit the update, returns its announcement. */
    private TrainResult trainAndUpload() {
        byte[] payload = model.encode();
        link.receiveTaskAndModel(Envelope.newBuilder().setTrainTask(TrainTask.newBuilder().setRound(ROUND)
                .setModelVersion(2).setLocalEpochs(1).setBatchSize(4).setLearningRate(0.5).setCodec("topk:0.1")
                .setSeed(1).setModel(LinkHarness.header(MODEL_TRANSFER, payload))).build(), MODEL_TRANSFER, payload);
        Envelope announced = link.next();
        assertEquals(Envelope.BodyCase.TRAIN_RESULT, announced.getBodyCase(), announced.toString());
        TrainResult result = announced.getTrainResult();
        link.receive(Envelope.newBuilder().setUploadReady(UploadReady.newBuilder()
                .setTransferId(result.getUpdate().getTransferId())).build());
        int frames = 0;
        for (Object out = link.poll(); out != null; out = link.poll()) {
            assertTrue(out instanceof ByteBuf, "update chunks go out as encoded frames");
            ((ByteBuf) out).release();
            frames++;
        }
        assertEquals(result.getUpdate().getChunkCount(), frames, "every chunk was written");
        assertEquals(1, link.client.updatesSent());
        return result;
    }

    private void accepted(long transferId) {
        link.receive(Envelope.newBuilder().setUpdateAccepted(UpdateAccepted.newBuilder().setRound(ROUND)
                .setTransferId(transferId)).build());
    }

    @Test
    void theResidualIsCommittedWhenTheCoordinatorAcceptsTheUpdate() {
        TrainResult result = trainAndUpload();
        assertNull(link.client.errorFeedbackResidual(), "written is not accepted");
        accepted(result.getUpdate().getTransferId() + 1);
        assertNull(link.client.errorFeedbackResidual(), "another transfer's acceptance commits nothing");
        accepted(result.getUpdate().getTransferId());
        float[] residual = link.client.errorFeedbackResidual();
        assertNotNull(residual);
        assertEquals(model.parameterCount(), residual.length);
        int sent = 0;
        for (float r : residual) {
            sent += r == 0 ? 1 : 0;
        }
        // top-10% sends ceil(10%) of the values exactly; the residual is zero where it sent them
        assertTrue(sent >= (int) Math.ceil(0.1 * model.parameterCount()), sent + " values sent of " + residual.length);
        assertEquals(1, link.client.updatesAccepted());
        assertNull(link.poll(), "UpdateAccepted needs no answer");
    }

    @Test
    void aRefusedUpdateLeavesNoResidual() {
        TrainResult result = trainAndUpload();
        link.receive(Envelope.newBuilder().setError(Error.newBuilder().setCode(ErrorCode.NON_FINITE).setRound(ROUND)
                .setTransferId(result.getUpdate().getTransferId())).build());
        accepted(result.getUpdate().getTransferId());
        assertNull(link.client.errorFeedbackResidual(), "the refusal discarded the staged residual");
        assertEquals(0, link.client.updatesAccepted());
    }

    @Test
    void aDroppedConnectionLeavesNoResidual() {
        TrainResult result = trainAndUpload();
        link.channel.close();
        link.client.errorFeedback().commit(result.getUpdate().getTransferId());
        assertNull(link.client.errorFeedbackResidual(), "the drop discarded the staged residual");
    }
}
