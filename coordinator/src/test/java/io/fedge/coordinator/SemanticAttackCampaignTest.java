package io.fedge.coordinator;

import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.fedge.coordinator.PipelineTestKit.Announcement;
import io.fedge.coordinator.PipelineTestKit.ManualExecutor;
import io.fedge.coordinator.PipelineTestKit.RecordingAggregation;
import io.fedge.coordinator.PipelineTestKit.Upload;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.fedge.coordinator.PipelineTestKit.received;
import static io.fedge.coordinator.PipelineTestKit.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Semantic attacks in one seeded campaign through the coordinator's real pipeline
 * (EmbeddedChannel, virtual clocks): {@value #ROUNDS} rounds of {@value #CLIENTS} selected
 * clients, each playing a {@link Role} drawn at random, their steps interleaved at random with the
 * aggregation thread's folds, under an upload budget of two updates so uploads queue at the
 * {@link UploadGate}. The roles: honest clients; updates scaled by 1e3..1e30; NaN and infinities
 * at random positions; registrations declaring more than the bound (up to 2^64-1 unsigned);
 * announcements claiming more examples than declared (up to 2^64-1) or a NaN loss, followed by the
 * refused transfer's chunks and then an honest announcement; stalls mid-upload (the channel's clock
 * past the transfer progress timeout); Errors for another round (then an honest upload), for the
 * round before uploading, and for the round after a verified upload; replays of an accepted
 * transfer; reconnect storms (the same id registering on 3..15 new connections while its upload is
 * in flight, or verified but not folded); slow readers (the outbound buffer made unwritable past
 * the slow-reader timeout) and a reader slow for less than it.
 *
 * <p>After every round: the updates folded are exactly those of the clients whose upload should
 * count, each clipped to the round's norm bound as computed here from the floats and weighted by
 * its claim capped at the round's weight cap, nothing else; the upload budget is back to 0 with
 * nobody waiting. About 3 s.
 */
class SemanticAttackCampaignTest {
    private static final int ROUNDS = 400;
    private static final int CLIENTS = 8;
    private static final int PARAMS = 16;
    private static final int PER_CHUNK = 4;
    private static final int CHUNKS = PARAMS / PER_CHUNK;
    private static final long MAX_EXAMPLES = 10_000_000L;
    private static final long PROGRESS_MS = 30_000;
    private static final long SLOW_READER_MS = 10_000;

    private enum Role {
        HONEST, SCALED, NON_FINITE, HUGE_HELLO, BAD_CLAIM_THEN_RETRY, STALL, OTHER_ROUND_ERROR_THEN_HONEST,
        ERROR_BEFORE_UPLOAD, ERROR_AFTER_UPLOAD, REPLAY, RECONNECT_STORM, STORM_AFTER_VERIFIED, SLOW_READER,
        BRIEFLY_SLOW_READER
    }

    private final ManualExecutor aggregationThread = new ManualExecutor();
    /** Room for two updates of 64 bytes at once; the idle timeout (10 min) beyond every virtual wait here. */
    private final CoordinatorState state = new CoordinatorState(
            new CoordinatorLimits(64 << 10, 32 << 10, 64, PER_CHUNK, 2 * 4 * PARAMS, 10_000, 600_000, 10_000, 500,
                    2_000, PROGRESS_MS),
            aggregationThread, CodecRegistry.defaultRegistry(), null, null, false, null, false, 0,
            new ConnectionLimits(10_000, 8L << 20, 32L << 20, SLOW_READER_MS, 64L << 20, 1 << 20, 4 << 20), null);
    private final Random rng = new Random(20261128L);
    private long transferIds = 1;

    /** One client's script for a round, its connection and what it was told. */
    private final class Actor {
        final String id;
        final Role role;
        final long declared;
        EmbeddedChannel ch;
        final List<Envelope> replies = new ArrayList<>();
        /** Replies before this index were checked by an expectation already. */
        int checked;
        final Deque<BooleanSupplier> steps = new ArrayDeque<>();
        /** The update the aggregate must receive from this client, clipped, and its claim; null for none. */
        float[] expected;
        long expectedClaim;
        boolean expectedClipped;

        Actor(String id, Role role, long declared) {
            this.id = id;
            this.role = role;
            this.declared = declared;
            this.ch = connect();
        }

        EmbeddedChannel connect() {
            return new EmbeddedChannel(new CoordinatorChannelInitializer(state));
        }

        void pump() {
            replies.addAll(received(ch));
        }

        /** Runs its next step; false if it has none or must wait. */
        boolean step() {
            BooleanSupplier next = steps.peek();
            if (next == null || !next.getAsBoolean()) {
                return false;
            }
            steps.poll();
            return true;
        }

        void then(Runnable r) {
            steps.add(() -> {
                r.run();
                return true;
            });
        }

        void sends(Envelope e) {
            then(() -> {
                send(ch, e);
                pump();
            });
        }

        void awaits(Envelope.BodyCase kind, long transferId) {
            steps.add(() -> {
                pump();
                return replies.stream().anyMatch(r -> r.getBodyCase() == kind && (kind == Envelope.BodyCase.UPLOAD_READY
                        ? r.getUploadReady().getTransferId() : r.getUpdateAccepted().getTransferId()) == transferId);
            });
        }

        /** Waits for the next Error (it may come from a fold) and checks its code. */
        void expectsError(ErrorCode... codes) {
            steps.add(() -> {
                pump();
                for (int i = checked; i < replies.size(); i++) {
                    if (replies.get(i).hasError()) {
                        ErrorCode code = replies.get(i).getError().getCode();
                        assertTrue(Set.of(codes).contains(code), role + " " + id + " got " + replies.get(i));
                        checked = i + 1;
                        return true;
                    }
                }
                return false;
            });
        }
    }

    private static float[] clipped(float[] v, double bound) {
        double sumSquares = 0;
        for (float x : v) {
            sumSquares += (double) x * x;
        }
        double norm = Math.sqrt(sumSquares);
        if (norm <= bound) {
            return v.clone();
        }
        float factor = (float) (bound / norm);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * factor;
        }
        return out;
    }

    private Upload upload(long round, float[] update, long claim) {
        return PipelineTestKit.upload(Announcement.fp32(round, 5, transferIds++, claim), update, PER_CHUNK, null);
    }

    /** The fold expected of {@code a}: {@code update} clipped to {@code clip}, weighing its {@code claim}. */
    private static void expect(Actor a, float[] update, double clip, long claim) {
        a.expected = clipped(update, clip);
        a.expectedClipped = !Arrays.equals(a.expected, update);
        a.expectedClaim = claim;
    }

    /** Announcement, admission, all chunks, claiming at most what {@code a} declared; the fold is expected. */
    private Upload honestUpload(Actor a, long round, float[] update, double clip) {
        long claim = 1 + (long) (rng.nextDouble() * a.declared);
        Upload u = upload(round, update, claim);
        a.sends(u.announce());
        a.awaits(Envelope.BodyCase.UPLOAD_READY, u.transferId());
        u.chunks().forEach(a::sends);
        expect(a, update, clip, claim);
        return u;
    }

    private long hugeCount() {
        return switch (rng.nextInt(5)) {
            case 0 -> MAX_EXAMPLES + 1;
            case 1 -> Long.MAX_VALUE;
            case 2 -> -1L; // 2^64 - 1 as unsigned
            case 3 -> Long.MIN_VALUE; // 2^63
            default -> MAX_EXAMPLES + 1 + (rng.nextLong() >>> 1) % (Long.MAX_VALUE - MAX_EXAMPLES);
        };
    }

    private static Envelope error(long round) {
        return Envelope.newBuilder().setError(io.fedge.comm.proto.Error.newBuilder().setRound(round)
                .setCode(ErrorCode.INTERNAL).setMessage("trouble")).build();
    }

    /** Re-registers {@code a}'s id on {@code times} new connections, each replacing (and closing) the last. */
    private void storm(Actor a, int times, Upload inFlight, long round) {
        for (int k = 0; k < times; k++) {
            EmbeddedChannel old = a.ch;
            a.ch = a.connect();
            send(a.ch, PipelineTestKit.hello(a.id, a.declared));
            old.runPendingTasks();
            assertFalse(old.isActive(), "a new registration closes the old connection");
            old.checkException();
            old.finishAndReleaseAll();
            a.pump();
            if (rng.nextBoolean()) { // the rest of the old upload on the new connection: not announced there
                send(a.ch, inFlight.chunks().get(CHUNKS - 1));
                a.pump();
            }
            if (rng.nextInt(3) == 0) { // a fresh announcement: the client already counted for the round
                send(a.ch, upload(round, PipelineTestKit.gaussian(rng, PARAMS, 1), 1).announce());
                a.pump();
            }
        }
    }

    private Actor cast(String id, Role role, long round, double clip) {
        long declared = rng.nextInt(10) == 0 ? MAX_EXAMPLES : 1 + (long) Math.pow(10, rng.nextDouble() * 6);
        Actor a = new Actor(id, role, declared);
        float[] update = PipelineTestKit.gaussian(rng, PARAMS, Math.pow(10, rng.nextDouble() * 2 - 1));
        if (role == Role.HUGE_HELLO) {
            a.sends(PipelineTestKit.hello(id, hugeCount()));
            a.expectsError(ErrorCode.LIMIT_EXCEEDED);
            a.then(() -> assertFalse(a.ch.isActive(), "a registration over the bound is closed"));
            return a;
        }
        a.sends(PipelineTestKit.hello(id, declared));
        switch (role) {
            case HONEST -> honestUpload(a, round, update, clip);
            case SCALED -> {
                float scale = (float) Math.pow(10, 3 + rng.nextInt(28));
                for (int i = 0; i < PARAMS; i++) {
                    update[i] *= scale;
                }
                honestUpload(a, round, update, clip);
            }
            case NON_FINITE -> {
                float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                for (int k = 1 + rng.nextInt(3); k > 0; k--) {
                    update[rng.nextInt(PARAMS)] = bad[rng.nextInt(3)];
                }
                Upload u = upload(round, update, 1);
                a.sends(u.announce());
                a.awaits(Envelope.BodyCase.UPLOAD_READY, u.transferId());
                u.chunks().forEach(a::sends);
                a.expectsError(ErrorCode.NON_FINITE);
            }
            case BAD_CLAIM_THEN_RETRY -> {
                Upload lie;
                Envelope announce;
                if (rng.nextInt(4) == 0) { // a NaN training loss
                    lie = upload(round, update, 1);
                    announce = Envelope.newBuilder().setTrainResult(lie.result().toBuilder().setLoss(Double.NaN)).build();
                } else {
                    lie = upload(round, update, rng.nextBoolean() ? hugeCount() : declared + 1);
                    announce = lie.announce();
                }
                a.sends(announce);
                a.expectsError(ErrorCode.LIMIT_EXCEEDED, ErrorCode.MALFORMED, ErrorCode.NON_FINITE);
                lie.chunks().forEach(a::sends); // the refused transfer's chunks are dropped without a word
                a.then(() -> assertEquals(a.checked, a.replies.size(), "no error for a refused transfer's chunks"));
                // a client refused for its announcement's content has failed the round: an honest retry is refused too
                Upload retry = upload(round, update, 1);
                a.sends(retry.announce());
                a.expectsError(ErrorCode.DUPLICATE_RESULT);
                retry.chunks().forEach(a::sends);
            }
            case STALL -> {
                Upload u = upload(round, update, 1);
                a.sends(u.announce());
                a.awaits(Envelope.BodyCase.UPLOAD_READY, u.transferId());
                u.chunks().subList(0, rng.nextInt(CHUNKS)).forEach(a::sends);
                a.then(() -> { // two progress periods: the first may still see a chunk since admission
                    for (int i = 0; i < 2; i++) {
                        a.ch.advanceTimeBy(PROGRESS_MS + 1, TimeUnit.MILLISECONDS);
                        a.ch.runScheduledPendingTasks();
                    }
                });
                a.expectsError(ErrorCode.TRANSFER_STALLED);
            }
            case OTHER_ROUND_ERROR_THEN_HONEST -> {
                a.sends(error(round + (rng.nextBoolean() ? 1 : -1) * (1 + rng.nextInt(3))));
                honestUpload(a, round, update, clip);
            }
            case ERROR_BEFORE_UPLOAD -> {
                a.sends(error(round));
                a.sends(upload(round, update, 1).announce());
                a.expectsError(ErrorCode.DUPLICATE_RESULT);
            }
            case ERROR_AFTER_UPLOAD -> {
                honestUpload(a, round, update, clip);
                a.sends(error(round)); // before or after the fold, whichever the interleaving gives
            }
            case REPLAY -> {
                Upload u = honestUpload(a, round, update, clip);
                a.awaits(Envelope.BodyCase.UPDATE_ACCEPTED, u.transferId());
                a.sends(u.announce());
                a.expectsError(ErrorCode.DUPLICATE_RESULT);
                u.chunks().forEach(a::sends); // dropped: their transfer was just refused
            }
            case RECONNECT_STORM, STORM_AFTER_VERIFIED -> {
                Upload u = upload(round, update, 1);
                a.sends(u.announce());
                a.awaits(Envelope.BodyCase.UPLOAD_READY, u.transferId());
                boolean verified = role == Role.STORM_AFTER_VERIFIED;
                u.chunks().subList(0, verified ? CHUNKS : rng.nextInt(CHUNKS)).forEach(a::sends);
                a.then(() -> storm(a, 3 + rng.nextInt(13), u, round));
                if (verified) { // a verified upload is the fold's to decide: the storm cannot take it back
                    expect(a, update, clip, 1);
                }
            }
            case SLOW_READER -> {
                Upload u = upload(round, update, 1);
                a.sends(u.announce());
                a.awaits(Envelope.BodyCase.UPLOAD_READY, u.transferId());
                u.chunks().subList(0, rng.nextInt(CHUNKS)).forEach(a::sends);
                a.then(() -> {
                    OutboundBackpressure backpressure = backpressure(a.ch); // gone from the pipeline once closed
                    unwritable(a.ch, true);
                    a.ch.advanceTimeBy(SLOW_READER_MS + 1, TimeUnit.MILLISECONDS);
                    a.ch.runScheduledPendingTasks();
                    a.ch.runPendingTasks();
                    assertEquals(OutboundBackpressure.Cut.SLOW_READER, backpressure.cut());
                    assertFalse(a.ch.isActive(), "a slow reader is cut");
                });
            }
            case BRIEFLY_SLOW_READER -> {
                Upload u = upload(round, update, Math.min(declared, 1 + rng.nextInt(100)));
                a.sends(u.announce());
                a.awaits(Envelope.BodyCase.UPLOAD_READY, u.transferId());
                a.sends(u.chunks().get(0));
                a.then(() -> {
                    unwritable(a.ch, true);
                    assertTrue(backpressure(a.ch).paused(), "reading stops while the client does not read");
                    a.ch.advanceTimeBy(SLOW_READER_MS / 2, TimeUnit.MILLISECONDS);
                    a.ch.runScheduledPendingTasks();
                    unwritable(a.ch, false);
                    assertFalse(backpressure(a.ch).paused());
                    assertNull(backpressure(a.ch).cut(), "a reader slow for less than the timeout stays");
                });
                u.chunks().subList(1, CHUNKS).forEach(a::sends);
                expect(a, update, clip, u.result().getNumExamples());
            }
            default -> throw new AssertionError(role);
        }
        return a;
    }

    private static OutboundBackpressure backpressure(EmbeddedChannel ch) {
        return ch.pipeline().get(OutboundBackpressure.class);
    }

    /** Makes the channel's outbound buffer (un)writable, as a peer that stops (or resumes) reading does. */
    private static void unwritable(EmbeddedChannel ch, boolean unwritable) {
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, !unwritable);
        ch.runPendingTasks();
    }

    @Test
    void aSeededCampaignOfSemanticAttacksFoldsExactlyTheHonestUpdatesClippedAndCapped() {
        Map<Role, Integer> played = new EnumMap<>(Role.class);
        int clipped = 0;
        for (long round = 1; round <= ROUNDS; round++) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                ids.add("r" + round + "-c" + i);
            }
            RecordingAggregation aggregation = new RecordingAggregation(PARAMS);
            ActiveRound active = new ActiveRound(round, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME),
                    new Fp32Codec(), PARAMS, PER_CHUNK, Long.MAX_VALUE, ids, aggregation, new RoundListener() { },
                    null, null);
            state.round = active;
            List<Role> roles = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                roles.add(rng.nextInt(3) == 0 ? Role.HONEST : Role.values()[rng.nextInt(Role.values().length)]);
            }
            // the scripts draw the declared counts; the weight cap, half of their sum, is set before anyone connects
            double clip = 0.5 + rng.nextDouble() * 5;
            List<Actor> actors = new ArrayList<>();
            Map<String, Long> declared = new HashMap<>();
            long total = 0;
            for (int i = 0; i < CLIENTS; i++) {
                Actor a = cast(ids.get(i), roles.get(i), round, clip);
                actors.add(a);
                if (a.role != Role.HUGE_HELLO) {
                    declared.put(a.id, a.declared);
                    total += a.declared;
                }
            }
            long maxWeight = Math.max(1, (long) Math.floor(0.5 * total));
            active.limits(new ActiveRound.RoundLimits(declared, maxWeight, clip, Integer.MAX_VALUE));
            run(actors);
            for (Actor a : actors) {
                played.merge(a.role, 1, Integer::sum);
            }
            clipped += assertFolded(round, actors, aggregation, maxWeight);
            assertEquals(0, state.uploadGate.bytesInUse(), "round " + round + " leaves no upload budget held");
            assertEquals(0, state.uploadGate.waitingCount());
            for (Actor a : actors) {
                a.ch.close();
                a.ch.checkException();
                a.ch.finishAndReleaseAll();
            }
        }
        assertEquals(Role.values().length, played.size(), "every role was played: " + played);
        assertTrue(clipped > ROUNDS, "updates were clipped: " + clipped);
    }

    /** Runs the actors' steps in a random interleaving with the aggregation thread's folds. */
    private void run(List<Actor> actors) {
        while (true) {
            List<Actor> live = new ArrayList<>();
            for (Actor a : actors) {
                if (!a.steps.isEmpty()) {
                    live.add(a);
                }
            }
            if (live.isEmpty()) {
                aggregationThread.runAll();
                for (Actor a : actors) {
                    a.pump();
                }
                return;
            }
            Collections.shuffle(live, rng);
            boolean progressed = false;
            for (Actor a : live) {
                if (a.step()) {
                    progressed = true;
                    break;
                }
            }
            if (!progressed || rng.nextInt(3) == 0) {
                if (!progressed && aggregationThread.queued.isEmpty()) {
                    fail("stuck: " + live.stream().map(a -> a.role + " " + a.id + " " + a.replies).toList());
                }
                aggregationThread.runAll();
            }
        }
    }

    /** The round's folds are exactly the expected ones; returns how many of them were clipped. */
    private static int assertFolded(long round, List<Actor> actors, RecordingAggregation aggregation, long maxWeight) {
        Map<String, Integer> at = new HashMap<>();
        for (int i = 0; i < aggregation.clients.size(); i++) {
            assertNull(at.put(aggregation.clients.get(i), i), "round " + round + ": folded twice: "
                    + aggregation.clients.get(i));
        }
        int clipped = 0;
        for (Actor a : actors) {
            Integer i = at.remove(a.id);
            if (a.expected == null) {
                assertNull(i, "round " + round + ": " + a.role + " " + a.id + " reached the aggregate");
                continue;
            }
            assertTrue(i != null, "round " + round + ": " + a.role + " " + a.id + " was not folded: " + a.replies);
            assertArrayEquals(a.expected, aggregation.folded.get(i), 0f, a.role + " " + a.id);
            assertEquals(Math.min(a.expectedClaim, maxWeight), aggregation.weights.get(i), a.role + " " + a.id
                    + ": the claim capped at the round's weight cap");
            clipped += a.expectedClipped ? 1 : 0;
        }
        assertTrue(at.isEmpty(), "round " + round + ": folded from nobody expected: " + at.keySet());
        return clipped;
    }
}
