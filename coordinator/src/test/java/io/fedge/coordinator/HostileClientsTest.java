package io.fedge.coordinator;

import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.fedge.coordinator.PipelineTestKit.Announcement;
import io.fedge.coordinator.PipelineTestKit.ManualExecutor;
import io.fedge.coordinator.PipelineTestKit.RecordingAggregation;
import io.fedge.coordinator.PipelineTestKit.Upload;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.fedge.coordinator.PipelineTestKit.errorCode;
import static io.fedge.coordinator.PipelineTestKit.hello;
import static io.fedge.coordinator.PipelineTestKit.received;
import static io.fedge.coordinator.PipelineTestKit.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Semantic attacks on the coordinator through its real pipeline (EmbeddedChannel): lies about
 * example counts, scaled updates, stalls mid-upload, errors and reconnections racing an update.
 * Each asserts what reaches the aggregate against values computed by hand.
 */
class HostileClientsTest {
    private static final int PARAMS = 8;
    private static final int PER_CHUNK = 2;

    private final ManualExecutor aggregationThread = new ManualExecutor();
    /**
     * An upload budget of 40 bytes: one update of 8 floats at a time. The idle timeout (10 min) is
     * far beyond the stall test's virtual minute.
     */
    private final CoordinatorState state = new CoordinatorState(
            new CoordinatorLimits(64 << 10, 32 << 10, 64, PER_CHUNK, 40, 10_000, 600_000, 10_000, 500, 2_000, 30_000),
            aggregationThread, CodecRegistry.defaultRegistry(), null, null, false, null, false, 0);
    private final RecordingAggregation aggregation = new RecordingAggregation(PARAMS);
    private final ActiveRound round = new ActiveRound(1, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME),
            new Fp32Codec(), PARAMS, PER_CHUNK, Long.MAX_VALUE, List.of("a", "b"), aggregation,
            new RoundListener() { }, null, null);
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private long transferIds = 1;

    HostileClientsTest() {
        state.round = round;
    }

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel connect() {
        EmbeddedChannel ch = new EmbeddedChannel(new CoordinatorChannelInitializer(state));
        channels.add(ch);
        return ch;
    }

    private Upload upload(float[] update, long claimedExamples) {
        return PipelineTestKit.upload(Announcement.fp32(1, 5, transferIds++, claimedExamples), update, PER_CHUNK, null);
    }

    private static float[] update(float scale) {
        float[] u = new float[PARAMS];
        for (int i = 0; i < PARAMS; i++) {
            u[i] = scale * (i - 3.5f); // norm = scale * sqrt(42)
        }
        return u;
    }

    private static Envelope.BodyCase kind(Envelope e) {
        return e.getBodyCase();
    }

    @Test
    void aClientDeclaringAbsurdlyManyExamplesIsRefusedAtRegistration() throws Exception {
        EmbeddedChannel ch = connect();
        send(ch, hello("a", 1L << 62));
        List<Envelope> replies = received(ch);
        assertEquals(ErrorCode.LIMIT_EXCEEDED, errorCode(replies));
        assertTrue(replies.get(0).getError().getMessage().contains("4611686018427387904"), replies.toString());
        assertFalse(ch.isActive(), "the connection is closed");
        assertEquals(0, state.registry.size());
    }

    @Test
    void anUpdateClaimingMoreExamplesThanItsClientDeclaredIsRefused() throws Exception {
        round.limits(new ActiveRound.RoundLimits(Map.of("a", 100L, "b", 100L), Long.MAX_VALUE,
                Double.POSITIVE_INFINITY, Integer.MAX_VALUE));
        EmbeddedChannel ch = connect();
        send(ch, hello("a", 100));
        received(ch);
        send(ch, upload(update(1), 1L << 62).announce());
        assertEquals(ErrorCode.LIMIT_EXCEEDED, errorCode(received(ch)));
        aggregationThread.runAll();
        assertEquals(0, aggregation.accepted());
    }

    @Test
    void aScaledUpdateIsClippedToTheNormBoundAndItsWeightCapped() throws Exception {
        // bound 2; the attacker sends the direction of update(1) times a million, claiming every declared example
        round.limits(new ActiveRound.RoundLimits(Map.of("a", 900L, "b", 100L), 500, 2.0, Integer.MAX_VALUE));
        EmbeddedChannel ch = connect();
        send(ch, hello("a", 900));
        received(ch);
        Upload u = upload(update(1e6f), 900);
        send(ch, u.announce());
        assertEquals(Envelope.BodyCase.UPLOAD_READY, kind(received(ch).get(0)));
        u.chunks().forEach(c -> send(ch, c));
        aggregationThread.runAll();
        assertEquals(1, aggregation.accepted());
        float[] expected = update((float) (2.0 / Math.sqrt(42)));
        assertArrayEquals(expected, aggregation.folded.get(0), 1e-6f);
        assertEquals(500L, aggregation.weights.get(0), "the weight is capped at half of the declared examples");
        assertEquals(1, round.clippedCount());
        assertEquals(1e6 * Math.sqrt(42), round.acceptedNorms()[0], 1e6 * Math.sqrt(42) * 1e-6);
        List<Envelope> replies = received(ch);
        assertEquals(Envelope.BodyCase.UPDATE_ACCEPTED, kind(replies.get(replies.size() - 1)),
                "the client is told its update counted");
    }

    @Test
    void aStalledUploadIsFailedAndReleasesTheUploadBudget() throws Exception {
        EmbeddedChannel a = connect();
        EmbeddedChannel b = connect();
        send(a, hello("a", 100));
        send(b, hello("b", 100));
        received(a);
        received(b);
        Upload ua = upload(update(1), 100);
        Upload ub = upload(update(2), 100);
        send(a, ua.announce());
        send(b, ub.announce());
        assertEquals(Envelope.BodyCase.UPLOAD_READY, kind(received(a).get(0)));
        assertTrue(received(b).isEmpty(), "b waits: the budget holds one update");
        a.advanceTimeBy(20, TimeUnit.SECONDS);
        send(a, ua.chunks().get(0)); // 20 s after admission a chunk; then a stalls, heartbeats keeping it connected
        a.advanceTimeBy(20, TimeUnit.SECONDS);
        a.runScheduledPendingTasks();
        assertFalse(round.hasFailed("a"), "30 s after admission but 20 s after its last chunk: not a stall yet");
        a.advanceTimeBy(9_999, TimeUnit.MILLISECONDS);
        a.runScheduledPendingTasks();
        assertFalse(round.hasFailed("a"), "1 ms short of the progress deadline");
        a.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        a.runScheduledPendingTasks();
        assertEquals(ErrorCode.TRANSFER_STALLED, errorCode(received(a)));
        assertTrue(round.hasFailed("a"));
        b.runPendingTasks();
        assertEquals(Envelope.BodyCase.UPLOAD_READY, kind(received(b).get(0)), "b is admitted once a's slot is freed");
        ub.chunks().forEach(c -> send(b, c));
        aggregationThread.runAll();
        assertEquals(1, aggregation.accepted());
        assertArrayEquals(update(2), aggregation.folded.get(0), 0f);
        assertEquals(0, state.uploadGate.bytesInUse());
    }

    @Test
    void anErrorSentAfterAVerifiedUploadDoesNotTakeTheUpdateBack() throws Exception {
        EmbeddedChannel ch = connect();
        send(ch, hello("a", 100));
        Upload u = upload(update(1), 100);
        send(ch, u.announce());
        u.chunks().forEach(c -> send(ch, c));
        // the fold is queued on the aggregation thread; the client now reports an error for the round
        send(ch, Envelope.newBuilder().setError(io.fedge.comm.proto.Error.newBuilder()
                .setRound(1).setCode(ErrorCode.INTERNAL).setMessage("late trouble")).build());
        assertFalse(round.hasFailed("a"), "an uploaded client is not failed by its own Error");
        aggregationThread.runAll();
        assertEquals(1, aggregation.accepted());
        round.clientFailed("b", "gone");
        List<Failure> failures = round.closeUploads();
        assertEquals(List.of("b"), failures.stream().map(Failure::clientId).toList(), "a counted, only b failed");
    }

    @Test
    void theLateCloseOfAReplacedConnectionDoesNotFailTheClient() {
        EmbeddedChannel old = connect();
        send(old, hello("a", 100));
        EmbeddedChannel fresh = connect();
        send(fresh, hello("a", 100)); // replaces (and closes) the old connection
        old.runPendingTasks();
        assertFalse(old.isActive());
        assertFalse(round.hasFailed("a"), "the old connection's close does not fail a client registered anew");
        round.taskSent("a", fresh);
        old.close();
        assertFalse(round.hasFailed("a"));
        fresh.close();
        assertTrue(round.hasFailed("a"), "losing the connection its task went out on does");
    }

    @Test
    void evaluationsClaimingMoreExamplesThanDeclaredAreRefused() throws Exception {
        state.evaluation = new ActiveEvaluation(1, 5, Long.MAX_VALUE, List.of("a"));
        EmbeddedChannel ch = connect();
        send(ch, hello("a", 100));
        received(ch);
        send(ch, Envelope.newBuilder().setEvaluateResult(EvaluateResult.newBuilder().setRound(1).setModelVersion(5)
                .setNumExamples(1L << 40).setAccuracy(0.5).setLoss(1)).build());
        assertEquals(ErrorCode.LIMIT_EXCEEDED, errorCode(received(ch)));
        send(ch, Envelope.newBuilder().setEvaluateResult(EvaluateResult.newBuilder().setRound(1).setModelVersion(5)
                .setNumExamples(100).setAccuracy(0.5).setLoss(1)).build());
        List<Failure> failures = new ArrayList<>();
        assertEquals(100, state.evaluation.close(failures).get(0).numExamples());
    }
}
