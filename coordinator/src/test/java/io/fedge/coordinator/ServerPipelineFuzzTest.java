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
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Feeds 100,000 mutated and random frames, cut into random fragments, through the coordinator's
 * real pipeline (traffic counter, frame decoder with its limit, protobuf, idle handler, session
 * handler) while a round is open, and checks that no exception escapes the pipeline and that
 * nothing reaches the aggregate; then that an honest update is still folded in exactly.
 */
class ServerPipelineFuzzTest {
    private static final int PARAMS = 1_000;
    private static final int PER_CHUNK = 256;
    private static final int FRAMES = 100_000;

    /** Records every update folded in, decoded whole. */
    private static final class RecordingAggregation implements FitAggregation {
        final List<float[]> folded = new ArrayList<>();

        @Override
        public synchronized void accept(FitResult result, UpdateChunks delta) {
            float[] whole = new float[PARAMS];
            delta.forEach((offset, values, length) -> System.arraycopy(values, 0, whole, offset, length));
            folded.add(whole);
        }

        @Override
        public synchronized int accepted() {
            return folded.size();
        }

        @Override
        public Optional<float[]> finish(List<Failure> failures) {
            return Optional.empty();
        }
    }

    /**
     * Folds run inline, on the test's thread: an EmbeddedChannel is not thread-safe, and a fold
     * that refuses an update writes its Error to the channel. (Netty hands such writes to the
     * event loop on a real channel.)
     */
    private static final class InlineExecutor extends AbstractExecutorService {
        private volatile boolean shutdown;

        @Override
        public void execute(Runnable task) {
            if (shutdown) {
                throw new RejectedExecutionException("shut down");
            }
            task.run();
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

    private final ExecutorService aggregationThread = new InlineExecutor();
    private final CoordinatorState state = new CoordinatorState(
            new CoordinatorLimits(64 << 10, 32 << 10, 64, PER_CHUNK, 1 << 20, 10_000, 60_000, 10_000, 500, 2_000, 30_000),
            aggregationThread, CodecRegistry.defaultRegistry(), null, null, false, null, false, 0);
    private final Random rng = new Random(20261125L);
    private long roundNumber;
    /** Shared by every round: whatever any round folds in shows up here. */
    private final RecordingAggregation aggregation = new RecordingAggregation();

    @AfterEach
    void stop() {
        aggregationThread.shutdownNow();
    }

    private void openRound() {
        roundNumber++;
        List<String> selected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            selected.add("fuzz-" + i);
        }
        state.round = new ActiveRound(roundNumber, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME),
                new Fp32Codec(), PARAMS, PER_CHUNK, Long.MAX_VALUE, selected, aggregation, new RoundListener() { }, null, null);
    }

    private static byte[] frame(Envelope e) {
        byte[] body = e.toByteArray();
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    /** A whole, well-formed session: Hello, an announced update, its chunks, some chatter. */
    private List<byte[]> session(String clientId, float[] update, long transferId) throws Exception {
        List<ByteString> chunks = new ArrayList<>();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int from = 0; from < update.length; from += PER_CHUNK) {
            int n = Math.min(PER_CHUNK, update.length - from);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                b.putFloat(update[from + i]);
            }
            sha.update(b.array());
            chunks.add(ByteString.copyFrom(b.array()));
        }
        List<byte[]> frames = new ArrayList<>();
        frames.add(frame(Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                .setClientId(clientId).addCodecs("fp32").setNumExamples(100)).build()));
        frames.add(frame(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setUnixMs(1)).build()));
        frames.add(frame(Envelope.newBuilder().setTrainResult(TrainResult.newBuilder()
                .setRound(roundNumber).setModelVersion(5).setNumExamples(100).setLoss(0.5).setCodec("fp32")
                .setUpdate(TransferHeader.newBuilder().setTransferId(transferId).setTotalLength(4L * update.length)
                        .setChunkCount(chunks.size()).setElementsPerChunk(PER_CHUNK).setElementCount(update.length)
                        .setSha256(ByteString.copyFrom(sha.digest())))).build()));
        for (int seq = 0; seq < chunks.size(); seq++) {
            frames.add(frame(Envelope.newBuilder().setChunk(Chunk.newBuilder().setTransferId(transferId).setSeq(seq)
                    .setData(chunks.get(seq))).build()));
        }
        frames.add(frame(Envelope.newBuilder().setEvaluateResult(EvaluateResult.newBuilder().setRound(roundNumber)
                .setModelVersion(5).setNumExamples(10).setLoss(1)).build()));
        return frames;
    }

    /** One of several kinds of damage, chosen at random. */
    private byte[] mutate(byte[] f) {
        byte[] m = f.clone();
        switch (rng.nextInt(7)) {
            case 0 -> { // flip a few bits
                for (int k = 1 + rng.nextInt(4); k > 0; k--) {
                    int i = rng.nextInt(m.length);
                    m[i] ^= (byte) (1 << rng.nextInt(8));
                }
            }
            case 1 -> { // a random length prefix: too long, negative, zero, or a lie
                ByteBuffer.wrap(m).putInt(rng.nextInt(4) == 0 ? rng.nextInt() : rng.nextInt(m.length + 16));
            }
            case 2 -> { // truncated body under an honest prefix
                int keep = 4 + rng.nextInt(Math.max(1, m.length - 4));
                m = java.util.Arrays.copyOf(m, keep);
                ByteBuffer.wrap(m).putInt(keep - 4);
            }
            case 3 -> { // random bytes in the body
                for (int i = 4; i < m.length; i++) {
                    if (rng.nextInt(8) == 0) {
                        m[i] = (byte) rng.nextInt();
                    }
                }
            }
            case 4 -> { // a frame over the limit
                byte[] big = new byte[4 + (64 << 10) + 1 + rng.nextInt(100)];
                ByteBuffer.wrap(big).putInt(big.length - 4);
                m = big;
            }
            case 5 -> { // pure noise with a plausible prefix
                m = new byte[4 + rng.nextInt(300)];
                rng.nextBytes(m);
                ByteBuffer.wrap(m).putInt(m.length - 4);
            }
            default -> { // unchanged
            }
        }
        return m;
    }

    private EmbeddedChannel newConnection() {
        return new EmbeddedChannel(new CoordinatorChannelInitializer(state));
    }

    /** Writes {@code bytes} in random fragments; returns false once the coordinator closed the connection. */
    private boolean feed(EmbeddedChannel ch, byte[] bytes) {
        int at = 0;
        while (at < bytes.length && ch.isActive()) {
            int n = Math.min(bytes.length - at, 1 + rng.nextInt(rng.nextBoolean() ? 16 : 4096));
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
            at += n;
            ch.runPendingTasks();
            ch.checkException(); // rethrows anything that escaped the pipeline
            drain(ch);
        }
        return ch.isActive();
    }

    private static void drain(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        for (Object o; (o = ch.readInbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }

    @Test
    void hundredThousandHostileFramesLeaveTheAggregateUntouched() throws Exception {
        openRound();
        float[] poisoned = new float[PARAMS];
        poisoned[PARAMS - 1] = Float.NaN; // even an intact replay of this update must be refused
        int frames = 0;
        int connections = 0;
        long transferId = 1;
        EmbeddedChannel ch = newConnection();
        while (frames < FRAMES) {
            openRound(); // a round per session, so every selected id may announce again
            String id = rng.nextInt(10) < 8 ? "fuzz-" + rng.nextInt(8) : "stranger-" + rng.nextInt(3);
            List<byte[]> script = session(id, poisoned, transferId++);
            // A quarter of the clients go away mid-session.
            int upTo = rng.nextInt(4) == 0 ? rng.nextInt(script.size()) : script.size();
            for (int k = 0; k < upTo; k++) {
                byte[] f = script.get(k);
                byte[] sent = rng.nextBoolean() ? f : mutate(f);
                frames++;
                if (!feed(ch, sent)) {
                    break; // the coordinator closed the connection
                }
            }
            // One session per connection, as a client has.
            ch.close();
            ch.runPendingTasks();
            ch.checkException();
            ch.finishAndReleaseAll();
            ch = newConnection();
            connections++;
        }
        ch.finishAndReleaseAll();
        aggregationThread.submit(() -> { }).get(30, TimeUnit.SECONDS); // every queued fold has run
        assertTrue(connections > 10_000, "one connection per session: " + connections);
        assertEquals(0, aggregation.accepted(), "nothing hostile reached the aggregate");

        // The coordinator still works: an honest update after all this is folded in, bit for bit.
        openRound();
        assertEquals(0, aggregation.accepted());
        float[] honest = new float[PARAMS];
        for (int i = 0; i < PARAMS; i++) {
            honest[i] = (float) rng.nextGaussian();
        }
        EmbeddedChannel good = newConnection();
        for (byte[] f : session("fuzz-3", honest, transferId++)) {
            assertTrue(feed(good, f), "the honest client stays connected");
        }
        aggregationThread.submit(() -> { }).get(30, TimeUnit.SECONDS);
        good.finishAndReleaseAll();
        assertEquals(1, aggregation.accepted());
        assertArrayEquals(honest, aggregation.folded.get(0), 0f);
    }
}
