package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

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

    /** Runs folds when the test says so, on the test's thread (EmbeddedChannel is not thread-safe). */
    private static final class ManualExecutor extends AbstractExecutorService {
        final Deque<Runnable> queued = new ArrayDeque<>();
        boolean shutdown;

        @Override
        public void execute(Runnable task) {
            queued.add(task);
        }

        void runAll() {
            for (Runnable r; (r = queued.poll()) != null; ) {
                r.run();
            }
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }

    /** Records every update folded in, whole, with the weight the strategy was given. */
    private static final class RecordingAggregation implements FitAggregation {
        final List<float[]> folded = new ArrayList<>();
        final List<Long> weights = new ArrayList<>();

        @Override
        public void accept(FitResult result, UpdateChunks delta) {
            float[] whole = new float[PARAMS];
            delta.forEach((offset, values, length) -> System.arraycopy(values, 0, whole, offset, length));
            folded.add(whole);
            weights.add(result.numExamples());
        }

        @Override
        public int accepted() {
            return folded.size();
        }

        @Override
        public Optional<float[]> finish(List<Failure> failures) {
            return Optional.empty();
        }
    }

    private final ManualExecutor aggregationThread = new ManualExecutor();
    /**
     * An upload budget of 40 bytes: one update of 8 floats at a time. The idle timeout (10 min) is
     * far beyond the stall test's virtual minute.
     */
    private final CoordinatorState state = new CoordinatorState(
            new CoordinatorLimits(64 << 10, 32 << 10, 64, PER_CHUNK, 40, 10_000, 600_000, 10_000, 500, 2_000, 30_000),
            aggregationThread, CodecRegistry.defaultRegistry(), null, null, false, null, false, 0);
    private final RecordingAggregation aggregation = new RecordingAggregation();
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

    private static void send(EmbeddedChannel ch, Envelope e) {
        byte[] body = e.toByteArray();
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array()));
        ch.runPendingTasks();
        ch.checkException();
    }

    /** Every envelope the coordinator wrote to {@code ch} since the last call. */
    private static List<Envelope> received(EmbeddedChannel ch) throws Exception {
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            all.writeBytes(b);
            b.release();
        }
        List<Envelope> out = new ArrayList<>();
        while (all.readableBytes() >= 4) {
            int n = all.readInt();
            byte[] body = new byte[n];
            all.readBytes(body);
            out.add(Envelope.parseFrom(body));
        }
        all.release();
        return out;
    }

    private static Envelope hello(String id, long examples) {
        return Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                .setClientId(id).addCodecs("fp32").setNumExamples(examples)).build();
    }

    private record Upload(Envelope announce, List<Envelope> chunks) {
    }

    private Upload upload(float[] update, long claimedExamples) throws Exception {
        long transferId = transferIds++;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        List<Envelope> chunks = new ArrayList<>();
        for (int from = 0, seq = 0; from < update.length; from += PER_CHUNK, seq++) {
            ByteBuffer b = ByteBuffer.allocate(4 * PER_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < PER_CHUNK; i++) {
                b.putFloat(update[from + i]);
            }
            sha.update(b.array());
            chunks.add(Envelope.newBuilder().setChunk(Chunk.newBuilder().setTransferId(transferId).setSeq(seq)
                    .setData(ByteString.copyFrom(b.array()))).build());
        }
        Envelope announce = Envelope.newBuilder().setTrainResult(TrainResult.newBuilder()
                .setRound(1).setModelVersion(5).setNumExamples(claimedExamples).setLoss(0.5).setCodec("fp32")
                .setUpdate(TransferHeader.newBuilder().setTransferId(transferId).setTotalLength(4L * PARAMS)
                        .setChunkCount(chunks.size()).setElementsPerChunk(PER_CHUNK).setElementCount(PARAMS)
                        .setSha256(ByteString.copyFrom(sha.digest())))).build();
        return new Upload(announce, chunks);
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

    private static ErrorCode errorCode(List<Envelope> replies) {
        return replies.stream().filter(Envelope::hasError).findFirst().orElseThrow(
                () -> new AssertionError("no Error among " + replies)).getError().getCode();
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
        send(a, ua.chunks().get(0)); // then a stalls, its heartbeats (if any) keeping the connection up
        a.advanceTimeBy(30, TimeUnit.SECONDS);
        a.runScheduledPendingTasks();
        assertFalse(round.hasFailed("a"), "one progress period after a chunk is not a stall yet");
        a.advanceTimeBy(30, TimeUnit.SECONDS);
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
