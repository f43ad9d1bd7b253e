package io.fedge.client;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.LocalTraining;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.UpdateAccepted;
import io.fedge.comm.proto.UploadReady;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FedBN over the client's link: a task with {@code local_batch_norm} trains with the client's own
 * BatchNorm parameters, which it keeps only once the coordinator accepted the update, across a
 * restart, and forgets when a task averages BatchNorm again.
 */
class FedBnTaskTest {
    private static final long ROUND = 4;
    private static final long MODEL_TRANSFER = (1L << 62) | 7;
    private static final GlobalModel MODEL = TinyModels.batchNormModel(2);

    private final List<LinkHarness> links = new ArrayList<>();

    @AfterEach
    void close() {
        links.forEach(LinkHarness::close);
    }

    private LinkHarness link(Path stateDir) {
        LinkHarness l = new LinkHarness(null, stateDir);
        links.add(l);
        return l;
    }

    private static TrainTask.Builder task(long seed, boolean fedBn) {
        return TrainTask.newBuilder().setRound(ROUND).setModelVersion(2).setLocalEpochs(1).setBatchSize(4)
                .setLearningRate(0.1).setCodec("fp32").setSeed(seed)
                .setModel(LinkHarness.header(MODEL_TRANSFER, MODEL.encode()))
                .setLocalTraining(LocalTraining.newBuilder().setLocalBatchNorm(fedBn).setMomentum(fedBn ? 0 : 0.5));
    }

    /** Sends the task and its model, admits the update, drains its chunks, and accepts it. */
    private static void trainAndAccept(LinkHarness link, TrainTask.Builder task) {
        link.receiveTaskAndModel(Envelope.newBuilder().setTrainTask(task).build(), MODEL_TRANSFER, MODEL.encode());
        Envelope announced = link.next();
        assertEquals(Envelope.BodyCase.TRAIN_RESULT, announced.getBodyCase(), announced.toString());
        TrainResult result = announced.getTrainResult();
        assertTrue(link.client.keptBatchNormParameters() == null
                || link.client.keptBatchNormParameters().length == 12);
        link.receive(Envelope.newBuilder().setUploadReady(UploadReady.newBuilder()
                .setTransferId(result.getUpdate().getTransferId())).build());
        for (Object out = link.poll(); out != null; out = link.poll()) {
            ((ByteBuf) out).release();
        }
        link.receive(Envelope.newBuilder().setUpdateAccepted(UpdateAccepted.newBuilder().setRound(ROUND)
                .setTransferId(result.getUpdate().getTransferId())).build());
    }

    /** What the client's trainer keeps for task seed {@code taskSeed}, from {@code kept}: a second trainer. */
    private static float[] expectedKept(long taskSeed, float[] kept) {
        long seed = taskSeed * 0x9E3779B97F4A7C15L + LinkHarness.CLIENT_ID.hashCode();
        return new LocalTrainer(TinyModels.data()).train(MODEL, 1, 4, 0.1, seed,
                io.fedge.core.LocalTraining.NONE.withLocalBatchNorm(true), null, null, kept).batchNorm();
    }

    @Test
    void theClientsBatchNormIsKeptOnceAcceptedAcrossARestartAndForgottenWhenAveraged(@TempDir Path dir)
            throws Exception {
        assertEquals(12, Dl4jModels.network(MODEL).batchNormParameters().count());
        LinkHarness link = link(dir);
        assertNull(link.client.keptBatchNormParameters());
        trainAndAccept(link, task(3, true));
        float[] first = expectedKept(3, null);
        assertArrayEquals(first, link.client.keptBatchNormParameters(), 0f, "trained from the global BatchNorm");
        assertFalse(java.util.Arrays.equals(first, Dl4jModels.network(MODEL).batchNormParameters()
                .gather(MODEL.parameters())));

        LinkHarness restarted = link(dir);
        assertArrayEquals(first, restarted.client.keptBatchNormParameters(), 0f, "read back from the state folder");
        trainAndAccept(restarted, task(5, true));
        assertArrayEquals(expectedKept(5, first), restarted.client.keptBatchNormParameters(), 0f,
                "the second round trained from the kept values");

        trainAndAccept(restarted, task(6, false));
        assertNull(restarted.client.keptBatchNormParameters(), "a task that averages BatchNorm forgets them");
        assertFalse(Files.exists(dir.resolve("fedbn-batchnorm.bin")));
    }
}
