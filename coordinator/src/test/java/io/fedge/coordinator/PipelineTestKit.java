package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TransferHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What the coordinator's pipeline tests on {@link EmbeddedChannel} share: aggregation threads that
 * run on the test's thread, an aggregation that records what reaches it, frames written by hand,
 * fragmenting and mutation, and honest uploads (plain or sealed) to compare against.
 */
final class PipelineTestKit {
    private PipelineTestKit() {
    }

    /** An executor service whose lifecycle methods do nothing but remember a shutdown. */
    private abstract static class TestThread extends AbstractExecutorService {
        volatile boolean shutdown;

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

    /**
     * Runs folds inline, on the test's thread: an EmbeddedChannel is not thread-safe, and a fold
     * that refuses an update writes its Error to the channel. (Netty hands such writes to the
     * event loop on a real channel.)
     */
    static final class InlineExecutor extends TestThread {
        @Override
        public void execute(Runnable task) {
            if (shutdown) {
                throw new RejectedExecutionException("shut down");
            }
            task.run();
        }
    }

    /** Runs folds when the test says so, on the test's thread, in the order they were queued. */
    static final class ManualExecutor extends TestThread {
        final Deque<Runnable> queued = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            queued.add(task);
        }

        void runAll() {
            for (Runnable r; (r = queued.poll()) != null; ) {
                r.run();
            }
        }
    }

    /** Records every update folded in, decoded whole, with its client and the weight the strategy was given. */
    static final class RecordingAggregation implements FitAggregation {
        private final int parameters;
        final List<float[]> folded = new ArrayList<>();
        final List<Long> weights = new ArrayList<>();
        final List<String> clients = new ArrayList<>();

        RecordingAggregation(int parameters) {
            this.parameters = parameters;
        }

        @Override
        public synchronized void accept(FitResult result, UpdateChunks delta) {
            float[] whole = new float[parameters];
            delta.forEach((offset, values, length) -> System.arraycopy(values, 0, whole, offset, length));
            folded.add(whole);
            weights.add(result.numExamples());
            clients.add(result.clientId());
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

    /** {@code e} as a frame: a 4-byte big-endian length, then the body. */
    static byte[] frame(Envelope e) {
        byte[] body = e.toByteArray();
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    /** Writes {@code e} as one frame and runs what it set off; rethrows anything that escaped the pipeline. */
    static void send(EmbeddedChannel ch, Envelope e) {
        ch.writeInbound(Unpooled.wrappedBuffer(frame(e)));
        ch.runPendingTasks();
        ch.checkException();
    }

    /** Writes {@code bytes} in random fragments; returns false once the coordinator closed the connection. */
    static boolean feed(EmbeddedChannel ch, byte[] bytes, Random rng) {
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

    /** Drops whatever the pipeline wrote or passed on. */
    static void drain(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        for (Object o; (o = ch.readInbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }

    /** Every envelope the coordinator wrote to {@code ch} since the last call. */
    static List<Envelope> received(EmbeddedChannel ch) {
        ch.runPendingTasks();
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            all.writeBytes(b);
            b.release();
        }
        List<Envelope> out = new ArrayList<>();
        try {
            while (all.readableBytes() >= 4) {
                byte[] body = new byte[all.readInt()];
                all.readBytes(body);
                out.add(Envelope.parseFrom(body));
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("the coordinator wrote a frame that does not parse", e);
        } finally {
            all.release();
        }
        return out;
    }

    /** The code of the first Error among {@code replies}. */
    static ErrorCode errorCode(List<Envelope> replies) {
        return replies.stream().filter(Envelope::hasError).findFirst().orElseThrow(
                () -> new AssertionError("no Error among " + replies)).getError().getCode();
    }

    static Envelope hello(String id, long examples) {
        return Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                .setClientId(id).addCodecs("fp32").addFeatures(WireProtocol.FEATURE_SECURE_AGGREGATION)
                .setNumExamples(examples)).build();
    }

    /** One of several kinds of damage to a frame, chosen at random; frames over {@code maxFrameBytes} among them. */
    static byte[] mutate(byte[] f, Random rng, int maxFrameBytes) {
        byte[] m = f.clone();
        switch (rng.nextInt(7)) {
            case 0 -> { // flip a few bits
                for (int k = 1 + rng.nextInt(4); k > 0; k--) {
                    int i = rng.nextInt(m.length);
                    m[i] ^= (byte) (1 << rng.nextInt(8));
                }
            }
            case 1 -> // a random length prefix: too long, negative, zero, or a lie
                    ByteBuffer.wrap(m).putInt(rng.nextInt(4) == 0 ? rng.nextInt() : rng.nextInt(m.length + 16));
            case 2 -> { // truncated body under an honest prefix
                int keep = 4 + rng.nextInt(Math.max(1, m.length - 4));
                m = Arrays.copyOf(m, keep);
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
                byte[] big = new byte[4 + maxFrameBytes + 1 + rng.nextInt(100)];
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

    /** {@code values} as fp32 chunks of {@code perChunk} parameters (the last one may be short). */
    static List<byte[]> fp32Chunks(float[] values, int perChunk) {
        List<byte[]> chunks = new ArrayList<>();
        for (int from = 0; from < values.length; from += perChunk) {
            int n = Math.min(perChunk, values.length - from);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                b.putFloat(values[from + i]);
            }
            chunks.add(b.array());
        }
        return chunks;
    }

    /** An announced update and its chunk frames, as a client sends them. */
    record Upload(Envelope announce, List<Envelope> chunks) {
        long transferId() {
            return announce.getTrainResult().getUpdate().getTransferId();
        }

        TrainResult result() {
            return announce.getTrainResult();
        }
    }

    /** What an upload is announced with, besides its bytes. */
    record Announcement(long round, long modelVersion, long transferId, long claimedExamples, String codec) {
        static Announcement fp32(long round, long modelVersion, long transferId, long claimedExamples) {
            return new Announcement(round, modelVersion, transferId, claimedExamples, "fp32");
        }
    }

    /** An fp32 update of {@code update}, sealed with {@code sealing} unless it is null. */
    static Upload upload(Announcement a, float[] update, int perChunk, UpdateSealer.Sealing sealing) {
        return upload(a, fp32Chunks(update, perChunk), perChunk, update.length, sealing);
    }

    /**
     * The announcement and chunk frames of an update whose encoded chunks are {@code plain}: each
     * sealed with {@code sealing} unless it is null.
     */
    static Upload upload(Announcement a, List<byte[]> plain, int perChunk, int elements, UpdateSealer.Sealing sealing) {
        return onWire(a, sealing == null ? plain : sealAll(plain, sealing), perChunk, elements,
                sealing == null ? null : sealing.ephemeralPublicKey());
    }

    /** Each chunk sealed with {@code sealing} at its sequence number. */
    static List<byte[]> sealAll(List<byte[]> plain, UpdateSealer.Sealing sealing) {
        List<byte[]> out = new ArrayList<>();
        for (int seq = 0; seq < plain.size(); seq++) {
            out.add(sealing.seal(seq, plain.get(seq)));
        }
        return out;
    }

    /**
     * The announcement and chunk frames of an update whose chunks go on the wire as {@code wire},
     * announced with {@code ephemeralKey} unless it is null; the digest and length cover the bytes
     * as sent (as a client, or a relay that rewrites them, computes them).
     */
    static Upload onWire(Announcement a, List<byte[]> wire, int perChunk, int elements, byte[] ephemeralKey) {
        MessageDigest sha = sha256();
        List<Envelope> chunks = new ArrayList<>();
        long total = 0;
        for (int seq = 0; seq < wire.size(); seq++) {
            byte[] data = wire.get(seq);
            sha.update(data);
            total += data.length;
            chunks.add(Envelope.newBuilder().setChunk(Chunk.newBuilder().setTransferId(a.transferId()).setSeq(seq)
                    .setData(ByteString.copyFrom(data))).build());
        }
        TrainResult.Builder r = TrainResult.newBuilder()
                .setRound(a.round()).setModelVersion(a.modelVersion()).setNumExamples(a.claimedExamples())
                .setLoss(0.5).setCodec(a.codec())
                .setUpdate(TransferHeader.newBuilder().setTransferId(a.transferId()).setTotalLength(total)
                        .setChunkCount(wire.size()).setElementsPerChunk(perChunk).setElementCount(elements)
                        .setSha256(ByteString.copyFrom(sha.digest())));
        if (ephemeralKey != null) {
            r.setEphemeralPublicKey(ByteString.copyFrom(ephemeralKey));
        }
        return new Upload(Envelope.newBuilder().setTrainResult(r).build(), chunks);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Gaussian values times {@code scale}. */
    static float[] gaussian(Random rng, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * scale);
        }
        return v;
    }
}
