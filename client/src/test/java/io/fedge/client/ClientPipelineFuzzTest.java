package io.fedge.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.fedge.comm.FramingPipeline;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggSetup;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.proto.UpdateAccepted;
import io.fedge.comm.proto.UploadReady;
import io.fedge.comm.proto.Welcome;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.comm.signing.TaskSigner;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client's real pipeline (frame decoder with its limit, protobuf, the link handler) on an
 * EmbeddedChannel, fed what a hostile coordinator or a relay that terminates TLS could send,
 * seeded, with the client pinning the coordinator's key and training inline:
 *
 * <ul>
 *   <li>{@value #TASKS} signed TrainTasks and EvaluateTasks, each either intact or changed after
 *       signing in one of its fields, its signature, signed for another client or with another
 *       key, or unsigned; the client trains (or evaluates) exactly the intact ones and answers
 *       every other with BAD_SIGNATURE naming its round. After each intact training the update is
 *       admitted and UpdateAccepted fuzzed: random rounds and transfer ids, the last transfer's
 *       neighbours, replays; only the one for the update written last counts, once;</li>
 *   <li>{@value #FRAMES} frames of every message a coordinator sends (tasks with their model
 *       chunks, UpdateAccepted, UploadReady, secure-aggregation stages, Errors, heartbeats), half
 *       the messages with one frame damaged at the byte level (the task itself half the time), all
 *       cut into random fragments, the client reconnecting whenever
 *       the connection closes: no exception escapes the pipeline, and the client never trains more
 *       tasks than it received intact.</li>
 * </ul>
 *
 * About 3 s.
 */
class ClientPipelineFuzzTest {
    private static final int TASKS = 200;
    private static final int FRAMES = 10_000;
    private static final int MAX_FRAME = 1 << 16;
    private static final long MODEL_TRANSFER = (1L << 62) | 9;
    /** Errors a coordinator sends that do not end the client for good. */
    private static final List<ErrorCode> ERRORS = List.of(ErrorCode.WRONG_ROUND, ErrorCode.LATE_RESULT,
            ErrorCode.MALFORMED, ErrorCode.NON_FINITE, ErrorCode.DIGEST_MISMATCH, ErrorCode.SECURE_AGGREGATION_ABORTED,
            ErrorCode.TRANSFER_STALLED, ErrorCode.DUPLICATE_RESULT);

    private final Random rng = new Random(20261129L);
    private final KeyPair coordinator = ModelSigner.newKeyPair();
    private final AtomicInteger trainings = new AtomicInteger();
    private final FederatedClient client = FederatedClient.builder()
            .coordinator("127.0.0.1", 1)
            .clientId(LinkHarness.CLIENT_ID)
            .data(TinyModels.data())
            .trustedModelKey(coordinator.getPublic())
            .trainingExecutor(task -> {
                trainings.incrementAndGet();
                task.run();
            })
            .reconnectBackoff(Duration.ofHours(1), Duration.ofHours(1)) // no reconnection fires during the test
            .seed(1)
            .build();
    private final byte[] model = TinyModels.model(3).encode();
    private final TransferHeader header = ModelSigner.sign(LinkHarness.header(MODEL_TRANSFER, model),
            coordinator.getPrivate());
    /** Every envelope the link handler was handed, on any connection. */
    private final List<Envelope> delivered = new ArrayList<>();
    private EmbeddedChannel channel;

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        client.close();
    }

    private EmbeddedChannel connect() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                FramingPipeline.addCodecs(c.pipeline(), MAX_FRAME);
                c.pipeline().addLast("record", new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        delivered.add((Envelope) msg);
                        ctx.fireChannelRead(msg);
                    }
                });
                c.pipeline().addLast("link", new CoordinatorLinkHandler(client));
            }
        });
        assertEquals(Envelope.BodyCase.HELLO, received(ch).get(0).getBodyCase());
        send(ch, Envelope.newBuilder().setWelcome(Welcome.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                .setClientId(LinkHarness.CLIENT_ID).setHeartbeatIntervalMs(600_000).setMaxChunkBytes(1 << 14)
                .setModelDeltas(true)).build());
        return ch;
    }

    private static byte[] frame(Envelope e) {
        byte[] body = e.toByteArray();
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    private static void send(EmbeddedChannel ch, Envelope e) {
        ch.writeInbound(Unpooled.wrappedBuffer(frame(e)));
        ch.runPendingTasks();
        ch.checkException();
    }

    /** What the client wrote since the last call, parsed. */
    private static List<Envelope> received(EmbeddedChannel ch) {
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
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("the client wrote a frame that does not parse", e);
        } finally {
            all.release();
        }
        return out;
    }

    private TrainTask trainTask(long round) {
        return TrainTask.newBuilder().setRound(round).setModelVersion(3).setLocalEpochs(1).setBatchSize(4)
                .setLearningRate(0.1).setCodec("fp32").setSeed(rng.nextLong()).setDeadlineUnixMs(1_000 + round)
                .setModel(header).build();
    }

    private EvaluateTask evaluateTask(long round) {
        return EvaluateTask.newBuilder().setRound(round).setModelVersion(3).setBatchSize(4)
                .setDeadlineUnixMs(1_000 + round).setModel(header).build();
    }

    private ByteString random(int n) {
        byte[] b = new byte[n];
        rng.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    private ByteString flipped(ByteString s) {
        byte[] b = s.toByteArray();
        b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
        return ByteString.copyFrom(b);
    }

    /** One change to a signed training task; 19 kinds. */
    private TrainTask altered(TrainTask t) {
        TrainTask.Builder b = t.toBuilder();
        switch (rng.nextInt(19)) {
            case 0 -> b.setRound(t.getRound() + 1);
            case 1 -> b.setModelVersion(t.getModelVersion() + 1);
            case 2 -> b.setLocalEpochs(t.getLocalEpochs() + 1 + rng.nextInt(100));
            case 3 -> b.setBatchSize(t.getBatchSize() + 1);
            case 4 -> b.setLearningRate(t.getLearningRate() * 1e6);
            case 5 -> b.setCodec("topk:0.01");
            case 6 -> b.setDeadlineUnixMs(t.getDeadlineUnixMs() + 1);
            case 7 -> b.setSeed(t.getSeed() ^ (1L << rng.nextInt(64)));
            case 8 -> b.setUpdatePublicKey(random(44)); // a relay's key, to read the update
            case 9 -> b.setSecureAggregation(SecAggSetup.newBuilder().setWordBits(32).setFractionBits(12)
                    .setClipRange(1).setWeightCap(100));
            case 10 -> b.setModelIsDelta(true).setModelDeltaBase(2);
            case 11 -> b.setModel(t.getModel().toBuilder().setSha256(flipped(t.getModel().getSha256())));
            case 12 -> b.setTaskSignature(flipped(t.getTaskSignature()));
            case 13 -> b.clearTaskSignature(); // unsigned
            // local training added by whoever terminates TLS: momentum, an absurd FedProx mu, a tiny DP clip
            case 15 -> b.setLocalTraining(io.fedge.comm.proto.LocalTraining.newBuilder().setMomentum(0.9));
            case 16 -> b.setLocalTraining(io.fedge.comm.proto.LocalTraining.newBuilder().setProximalMu(1e9));
            case 17 -> b.setLocalTraining(io.fedge.comm.proto.LocalTraining.newBuilder().setClipNorm(1e-3)
                    .setNoiseStddev(10));
            case 14 -> { // signed for another device
                return TaskSigner.sign(t.toBuilder().clearTaskSignature().build(), "device-2", coordinator.getPrivate());
            }
            default -> { // signed with a key the client does not pin
                return TaskSigner.sign(t.toBuilder().clearTaskSignature().build(), LinkHarness.CLIENT_ID,
                        ModelSigner.newKeyPair().getPrivate());
            }
        }
        return b.build();
    }

    private EvaluateTask altered(EvaluateTask t) {
        EvaluateTask.Builder b = t.toBuilder();
        switch (rng.nextInt(6)) {
            case 0 -> b.setRound(t.getRound() + 1);
            case 1 -> b.setBatchSize(t.getBatchSize() * 100);
            case 2 -> b.setDeadlineUnixMs(t.getDeadlineUnixMs() - 1);
            case 3 -> b.setModelIsDelta(true).setModelDeltaBase(1);
            case 4 -> b.setTaskSignature(flipped(t.getTaskSignature()));
            default -> b.clearTaskSignature();
        }
        return b.build();
    }

    private void sendTaskAndModel(Envelope task) {
        send(channel, task);
        for (Envelope c : LinkHarness.chunks(MODEL_TRANSFER, model)) {
            send(channel, c);
        }
    }

    private static Envelope accepted(long round, long transferId) {
        return Envelope.newBuilder().setUpdateAccepted(UpdateAccepted.newBuilder().setRound(round)
                .setTransferId(transferId)).build();
    }

    @Test
    void signedTasksAlteredOnTheWayAreNeverTrainedAndOnlyTheRightUpdateAcceptedCounts() {
        channel = connect();
        int intact = 0;
        for (long round = 1; round <= TASKS; round++) {
            boolean train = rng.nextInt(4) != 0;
            boolean keep = rng.nextInt(3) == 0;
            Envelope task;
            if (train) {
                TrainTask signed = TaskSigner.sign(trainTask(round), LinkHarness.CLIENT_ID, coordinator.getPrivate());
                task = Envelope.newBuilder().setTrainTask(keep ? signed : altered(signed)).build();
                keep = task.getTrainTask().equals(signed);
            } else {
                EvaluateTask signed = TaskSigner.sign(evaluateTask(round), LinkHarness.CLIENT_ID,
                        coordinator.getPrivate());
                task = Envelope.newBuilder().setEvaluateTask(keep ? signed : altered(signed)).build();
                keep = task.getEvaluateTask().equals(signed);
            }
            int before = trainings.get();
            sendTaskAndModel(task);
            List<Envelope> answers = received(channel);
            assertTrue(channel.isActive(), "a refused task does not cost the connection");
            if (!keep) {
                assertEquals(before, trainings.get(), "trained on an altered task: " + task);
                assertEquals(1, answers.size(), answers.toString());
                assertEquals(ErrorCode.BAD_SIGNATURE, answers.get(0).getError().getCode(), answers.toString());
                long named = train ? task.getTrainTask().getRound() : task.getEvaluateTask().getRound();
                assertEquals(named, answers.get(0).getError().getRound(), "the refusal names the task's round");
                continue;
            }
            intact++;
            assertEquals(before + 1, trainings.get(), "the intact task is trained");
            assertEquals(1, answers.size(), answers.toString());
            if (!train) {
                assertEquals(round, answers.get(0).getEvaluateResult().getRound(), answers.toString());
                continue;
            }
            long transferId = answers.get(0).getTrainResult().getUpdate().getTransferId();
            send(channel, Envelope.newBuilder().setUploadReady(UploadReady.newBuilder().setTransferId(transferId)).build());
            assertEquals(answers.get(0).getTrainResult().getUpdate().getChunkCount(), received(channel).size(),
                    "the update's chunks");
            int accepted = client.updatesAccepted();
            for (int k = 0; k < 8; k++) {
                long wrong = switch (rng.nextInt(4)) {
                    case 0 -> 0;
                    case 1 -> transferId - 1 - rng.nextInt(3);
                    case 2 -> transferId + 1 + rng.nextInt(3);
                    default -> rng.nextLong();
                };
                send(channel, accepted(rng.nextBoolean() ? round : rng.nextLong(), wrong == transferId ? 0 : wrong));
            }
            assertEquals(accepted, client.updatesAccepted(), "another transfer's acceptance counts nothing");
            send(channel, accepted(round, transferId));
            assertEquals(accepted + 1, client.updatesAccepted());
            send(channel, accepted(round, transferId));
            assertEquals(accepted + 1, client.updatesAccepted(), "a replayed acceptance counts nothing");
            assertTrue(received(channel).isEmpty(), "UpdateAccepted needs no answer");
        }
        assertTrue(intact > TASKS / 5 && intact < TASKS / 2, intact + " intact tasks");
    }

    /** A valid message of any kind a coordinator sends, with {@code n} an id for rounds and transfers. */
    private List<Envelope> anyMessage(long n) {
        List<Envelope> out = new ArrayList<>();
        switch (rng.nextInt(8)) {
            case 0, 1 -> {
                TrainTask t = TaskSigner.sign(trainTask(n), LinkHarness.CLIENT_ID, coordinator.getPrivate());
                out.add(Envelope.newBuilder().setTrainTask(t).build());
                out.addAll(LinkHarness.chunks(MODEL_TRANSFER, model));
            }
            case 2 -> {
                EvaluateTask t = TaskSigner.sign(evaluateTask(n), LinkHarness.CLIENT_ID, coordinator.getPrivate());
                out.add(Envelope.newBuilder().setEvaluateTask(t).build());
                out.addAll(LinkHarness.chunks(MODEL_TRANSFER, model));
            }
            case 3 -> out.add(accepted(n, rng.nextInt(4)));
            case 4 -> out.add(Envelope.newBuilder().setUploadReady(UploadReady.newBuilder().setTransferId(rng.nextInt(4)))
                    .build());
            case 5 -> out.add(Envelope.newBuilder().setSecaggRoster(SecAggRoster.newBuilder().setRound(n)
                    .setThreshold(rng.nextInt(5)).setIndex(rng.nextInt(5))).build());
            case 6 -> out.add(Envelope.newBuilder().setSecaggUnmask(SecAggUnmask.newBuilder().setRound(n)
                    .addSurvivors(LinkHarness.CLIENT_ID).setConsistencyCheck(rng.nextBoolean())).build());
            default -> out.add(rng.nextBoolean()
                    ? Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setUnixMs(n)).build()
                    : Envelope.newBuilder().setError(io.fedge.comm.proto.Error.newBuilder()
                            .setCode(ERRORS.get(rng.nextInt(ERRORS.size()))).setRound(n)
                            .setTransferId(rng.nextInt(4))).build());
        }
        return out;
    }

    /** Bit flips, lying prefixes, truncations, random bodies, oversized frames, noise; or unchanged. */
    private byte[] damaged(byte[] f) {
        byte[] m = f.clone();
        switch (rng.nextInt(6)) {
            case 0 -> {
                for (int k = 1 + rng.nextInt(4); k > 0; k--) {
                    m[rng.nextInt(m.length)] ^= (byte) (1 << rng.nextInt(8));
                }
            }
            case 1 -> ByteBuffer.wrap(m).putInt(rng.nextInt(4) == 0 ? rng.nextInt() : rng.nextInt(m.length + 16));
            case 2 -> {
                m = Arrays.copyOf(m, 4 + rng.nextInt(Math.max(1, m.length - 4)));
                ByteBuffer.wrap(m).putInt(m.length - 4);
            }
            case 3 -> {
                byte[] big = new byte[4 + MAX_FRAME + 1];
                ByteBuffer.wrap(big).putInt(big.length - 4);
                m = big;
            }
            case 4 -> {
                m = new byte[4 + rng.nextInt(200)];
                rng.nextBytes(m);
                ByteBuffer.wrap(m).putInt(m.length - 4);
            }
            default -> {
                for (int i = 4; i < m.length; i++) {
                    if (rng.nextInt(8) == 0) {
                        m[i] = (byte) rng.nextInt();
                    }
                }
            }
        }
        return m;
    }

    @Test
    void damagedCoordinatorFramesNeverEscapeThePipelineNorGetAnAlteredTaskTrained() {
        channel = connect();
        List<Envelope> originals = new ArrayList<>();
        int frames = 0;
        int connections = 1;
        for (long n = 1; frames < FRAMES; n++) {
            List<Envelope> script = anyMessage(n);
            originals.add(script.get(0));
            // half the messages get one frame damaged, the task itself half the time
            int damage = rng.nextBoolean() ? (rng.nextBoolean() ? 0 : rng.nextInt(script.size())) : -1;
            for (int k = 0; k < script.size(); k++) {
                byte[] f = frame(script.get(k));
                byte[] sent = k == damage ? damaged(f) : f;
                frames++;
                for (int at = 0; at < sent.length && channel.isActive(); ) {
                    int len = Math.min(sent.length - at, 1 + rng.nextInt(rng.nextBoolean() ? 16 : 2048));
                    channel.writeInbound(Unpooled.wrappedBuffer(sent, at, len));
                    at += len;
                    channel.runPendingTasks();
                    channel.checkException(); // rethrows anything that escaped the pipeline
                    received(channel);
                }
                if (!channel.isActive()) {
                    channel.finishAndReleaseAll();
                    channel = connect();
                    connections++;
                    break;
                }
            }
        }
        Predicate<Envelope> task = e -> e.hasTrainTask() || e.hasEvaluateTask();
        long intactTasks = delivered.stream().filter(e -> task.test(e) && originals.contains(e)).count();
        long alteredTasks = delivered.stream().filter(e -> task.test(e) && !originals.contains(e)).count();
        assertTrue(trainings.get() <= intactTasks, trainings.get() + " trainings for " + intactTasks + " intact tasks");
        assertTrue(trainings.get() > 0 && alteredTasks > 0, trainings.get() + " trainings, " + alteredTasks
                + " altered tasks delivered");
        assertTrue(connections > 100, connections + " connections");
    }
}
