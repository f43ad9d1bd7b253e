package io.fedge.coordinator;

import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.fedge.coordinator.PipelineTestKit.Announcement;
import io.fedge.coordinator.PipelineTestKit.InlineExecutor;
import io.fedge.coordinator.PipelineTestKit.RecordingAggregation;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import static io.fedge.coordinator.PipelineTestKit.frame;
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
    private static final int MAX_FRAME = 64 << 10;

    private final ExecutorService aggregationThread = new InlineExecutor();
    private final CoordinatorState state = new CoordinatorState(
            new CoordinatorLimits(MAX_FRAME, 32 << 10, 64, PER_CHUNK, 1 << 20, 10_000, 60_000, 10_000, 500, 2_000, 30_000),
            aggregationThread, CodecRegistry.defaultRegistry(), null, null, false, null, false, 0);
    private final Random rng = new Random(20261125L);
    private long roundNumber;
    /** Shared by every round: whatever any round folds in shows up here. */
    private final RecordingAggregation aggregation = new RecordingAggregation(PARAMS);

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

    /** A whole, well-formed session: Hello, an announced update, its chunks, some chatter. */
    private List<byte[]> session(String clientId, float[] update, long transferId) {
        PipelineTestKit.Upload u = PipelineTestKit.upload(Announcement.fp32(roundNumber, 5, transferId, 100), update,
                PER_CHUNK, null);
        List<byte[]> frames = new ArrayList<>();
        frames.add(frame(PipelineTestKit.hello(clientId, 100)));
        frames.add(frame(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setUnixMs(1)).build()));
        frames.add(frame(u.announce()));
        u.chunks().forEach(c -> frames.add(frame(c)));
        frames.add(frame(Envelope.newBuilder().setEvaluateResult(EvaluateResult.newBuilder().setRound(roundNumber)
                .setModelVersion(5).setNumExamples(10).setLoss(1)).build()));
        return frames;
    }

    private EmbeddedChannel newConnection() {
        return new EmbeddedChannel(new CoordinatorChannelInitializer(state));
    }

    private boolean feed(EmbeddedChannel ch, byte[] bytes) {
        return PipelineTestKit.feed(ch, bytes, rng);
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
                byte[] sent = rng.nextBoolean() ? f : PipelineTestKit.mutate(f, rng, MAX_FRAME);
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
