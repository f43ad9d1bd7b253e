package io.fedge.client;

import io.fedge.comm.LocalTrainingMessages;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Error;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.LocalTraining;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.proto.UpdateAccepted;
import io.fedge.comm.proto.UploadReady;
import io.fedge.core.model.GlobalModel;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local training over the client's link: the Hello announces it, the task's fields are bounded
 * before anything is downloaded, SCAFFOLD's control variate follows the model, and the client's
 * {@code c_i} is kept only once the coordinator accepted the update that carries it.
 */
class LocalTrainingTaskTest {
    private static final long ROUND = 9;
    private static final long MODEL_TRANSFER = (1L << 62) | 5;
    private static final long CONTROL_TRANSFER = (1L << 62) | (1L << 60) | 9;
    private static final GlobalModel MODEL = TinyModels.model(5);
    private static final int P = MODEL.parameterCount();

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

    /** The server's control variate of the tests: small values of both signs. */
    private static float[] serverControl() {
        float[] c = new float[P];
        for (int i = 0; i < P; i++) {
            c[i] = 0.02f * (i % 7 - 3);
        }
        return c;
    }

    private static TransferHeader controlHeader(byte[] payload, int values) {
        return LinkHarness.header(CONTROL_TRANSFER, payload).toBuilder().setElementCount(values).build();
    }

    private static TrainTask.Builder task(LocalTraining.Builder local) {
        TrainTask.Builder t = TrainTask.newBuilder().setRound(ROUND).setModelVersion(5).setLocalEpochs(1)
                .setBatchSize(4).setLearningRate(0.1).setCodec("fp32").setSeed(3)
                .setModel(LinkHarness.header(MODEL_TRANSFER, MODEL.encode()));
        if (local != null) {
            t.setLocalTraining(local);
        }
        return t;
    }

    private static LocalTraining.Builder scaffold(byte[] control, int values) {
        return LocalTraining.newBuilder().setScaffold(true).setControlVariate(controlHeader(control, values));
    }

    /** The task, the model's chunks, then the control variate's chunks if {@code control} is given. */
    private static void send(LinkHarness link, TrainTask.Builder task, byte[] control) {
        link.receiveTaskAndModel(Envelope.newBuilder().setTrainTask(task).build(), MODEL_TRANSFER, MODEL.encode());
        if (control != null) {
            for (Envelope c : LinkHarness.chunks(CONTROL_TRANSFER, control)) {
                link.receive(c);
            }
        }
    }

    private static void assertRefused(LinkHarness link, ErrorCode code, long transferId, String what) {
        Envelope answer = link.next();
        assertEquals(Envelope.BodyCase.ERROR, answer.getBodyCase(), what + ": expected an Error, got " + answer);
        Error e = answer.getError();
        assertEquals(code, e.getCode(), what + ": " + e.getMessage());
        assertEquals(ROUND, e.getRound(), what);
        assertEquals(transferId, e.getTransferId(), what);
        assertTrue(e.getMessage().startsWith("local training: ") && !e.getMessage().contains("\n"),
                what + ": one line naming local training: " + e.getMessage());
        assertNull(link.poll(), what + ": one error; the model's and control variate's chunks are dropped quietly");
    }

    /** Lets the coordinator admit the announced update and drains its chunks. */
    private static TrainResult upload(LinkHarness link) {
        Envelope announced = link.next();
        assertEquals(Envelope.BodyCase.TRAIN_RESULT, announced.getBodyCase(), announced.toString());
        TrainResult result = announced.getTrainResult();
        link.receive(Envelope.newBuilder().setUploadReady(UploadReady.newBuilder()
                .setTransferId(result.getUpdate().getTransferId())).build());
        for (Object out = link.poll(); out != null; out = link.poll()) {
            ((ByteBuf) out).release();
        }
        return result;
    }

    private static void accepted(LinkHarness link, long transferId) {
        link.receive(Envelope.newBuilder().setUpdateAccepted(UpdateAccepted.newBuilder().setRound(ROUND)
                .setTransferId(transferId)).build());
    }

    /** What the client's own trainer computes for the task: c_i+ from c and c_i, by a second trainer on the same data and seed. */
    private static float[] expectedControl(float[] c, float[] ci) {
        long seed = 3 * 0x9E3779B97F4A7C15L + LinkHarness.CLIENT_ID.hashCode();
        return new LocalTrainer(TinyModels.data()).train(MODEL, 1, 4, 0.1, seed,
                io.fedge.core.LocalTraining.NONE.withScaffold(true), c, ci).controlVariate();
    }

    @Test
    void theHelloAnnouncesEveryLocalTrainingFeature() {
        List<String> features = link(null).hello.getHello().getFeaturesList();
        assertTrue(features.contains(WireProtocol.FEATURE_SECURE_AGGREGATION));
        assertTrue(features.containsAll(io.fedge.core.LocalTraining.allFeatures()), features.toString());
    }

    @Test
    void everyLocalTrainingFieldOutOfBoundsIsRefusedBeforeTheDownload() {
        byte[] control = LocalTrainingMessages.encodeControlVariate(serverControl());
        List<UnaryOperator<LocalTraining.Builder>> bad = List.of(
                l -> l.setMomentum(1.0), l -> l.setMomentum(-0.1), l -> l.setMomentum(Double.NaN),
                l -> l.setProximalMu(-1), l -> l.setProximalMu(2e4), l -> l.setProximalMu(Double.POSITIVE_INFINITY),
                l -> l.setClipNorm(-1), l -> l.setClipNorm(Double.POSITIVE_INFINITY), l -> l.setClipNorm(Double.NaN),
                l -> l.setClipNorm(1).setNoiseStddev(-0.5), l -> l.setClipNorm(1).setNoiseStddev(Double.NaN),
                l -> l.setNoiseStddev(0.1),                                    // noise without a clip norm
                l -> l.setScaffold(false),                                     // a control variate without SCAFFOLD
                l -> l.clearControlVariate(),                                  // SCAFFOLD without one
                l -> l.setControlVariate(controlHeader(control, P + 1)),       // not 4 bytes per value
                l -> l.setControlVariate(controlHeader(new byte[0], 0)));      // no values
        LinkHarness link = link(null);
        for (UnaryOperator<LocalTraining.Builder> b : bad) {
            LocalTraining.Builder local = b.apply(scaffold(control, P));
            send(link, task(local), local.hasControlVariate() ? control : null);
            assertRefused(link, ErrorCode.MALFORMED, MODEL_TRANSFER, local.build().toString());
        }
        // the bounds themselves pass
        new TaskChecks(LinkHarness.CLIENT_ID, null).check(Envelope.newBuilder().setTrainTask(task(scaffold(control, P)
                .setMomentum(0.999).setProximalMu(1e4).setClipNorm(Double.MIN_VALUE).setNoiseStddev(1e300))).build());
        // and a task within them trains
        send(link, task(scaffold(control, P).setMomentum(0.9).setProximalMu(0.5).setClipNorm(3)
                .setNoiseStddev(0.01)), control);
        assertEquals(2 * P, upload(link).getUpdate().getElementCount(), "[y - x ; c_i+ - c_i]");
    }

    @Test
    void aControlVariateOfAnotherSizeThanTheModelIsRefusedOnceTheModelIsKnown() {
        LinkHarness link = link(null);
        byte[] control = LocalTrainingMessages.encodeControlVariate(new float[P + 2]);
        send(link, task(scaffold(control, P + 2)), control);
        assertRefused(link, ErrorCode.MALFORMED, MODEL_TRANSFER, "P + 2 values");
    }

    @Test
    void aDamagedControlVariateFailsItsDigest() {
        LinkHarness link = link(null);
        byte[] control = LocalTrainingMessages.encodeControlVariate(serverControl());
        TrainTask.Builder t = task(scaffold(control, P));
        control[5] ^= 1;
        send(link, t, control);
        Envelope answer = link.next();
        assertEquals(ErrorCode.DIGEST_MISMATCH, answer.getError().getCode(), answer.toString());
        assertEquals(ROUND, answer.getError().getRound());
    }

    @Test
    void theClientsControlVariateIsCommittedOnlyWhenItsUpdateIsAcceptedAndSurvivesARestart(@TempDir Path dir)
            throws Exception {
        float[] c = serverControl();
        byte[] control = LocalTrainingMessages.encodeControlVariate(c);
        LinkHarness link = link(dir);
        send(link, task(scaffold(control, P)), control);
        TrainResult first = upload(link);
        assertEquals(2 * P, first.getUpdate().getElementCount());
        assertNull(link.client.scaffoldControlVariate(), "sent is not accepted");
        accepted(link, first.getUpdate().getTransferId() + 1);
        assertNull(link.client.scaffoldControlVariate(), "another transfer's acceptance commits nothing");
        accepted(link, first.getUpdate().getTransferId());
        float[] ci1 = expectedControl(c, new float[P]);
        assertArrayEquals(ci1, link.client.scaffoldControlVariate(), 0f, "c_i+ of the accepted update, from c_i = 0");

        // the next round's update is refused: c_i stays the one the server folded
        send(link, task(scaffold(control, P)).setRound(ROUND), control);
        TrainResult refused = upload(link);
        link.receive(Envelope.newBuilder().setError(Error.newBuilder().setCode(ErrorCode.NON_FINITE).setRound(ROUND)
                .setTransferId(refused.getUpdate().getTransferId())).build());
        accepted(link, refused.getUpdate().getTransferId());
        assertArrayEquals(ci1, link.client.scaffoldControlVariate(), 0f);

        // a restarted client reads it back, and trains its next round from it
        LinkHarness restarted = link(dir);
        assertArrayEquals(ci1, restarted.client.scaffoldControlVariate(), 0f, "read back bit for bit");
        send(restarted, task(scaffold(control, P)), control);
        TrainResult next = upload(restarted);
        accepted(restarted, next.getUpdate().getTransferId());
        assertArrayEquals(expectedControl(c, ci1), restarted.client.scaffoldControlVariate(), 0f,
                "the second training started from c_i+ of the first");

        // a file that does not check out is refused and the client starts from zero
        Path file = dir.resolve("scaffold-control-variate.bin");
        byte[] bytes = Files.readAllBytes(file);
        bytes[12] ^= 0x10;
        Files.write(file, bytes);
        assertNull(link(dir).client.scaffoldControlVariate(), "a corrupt control variate is not used");
        LinkHarness fresh = link(dir);
        send(fresh, task(scaffold(control, P)), control);
        accepted(fresh, upload(fresh).getUpdate().getTransferId());
        assertArrayEquals(ci1, fresh.client.scaffoldControlVariate(), 0f, "trained from c_i = 0 again");
    }
}
