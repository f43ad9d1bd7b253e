package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.SecAggKeys;
import io.fedge.comm.proto.SecAggListSignature;
import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRevealedShare;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggSealedShare;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.comm.secagg.SecAggClient;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.fedge.coordinator.PipelineTestKit.Announcement;
import io.fedge.coordinator.PipelineTestKit.InlineExecutor;
import io.fedge.coordinator.PipelineTestKit.RecordingAggregation;
import io.fedge.coordinator.PipelineTestKit.Upload;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import static io.fedge.coordinator.PipelineTestKit.received;
import static io.fedge.coordinator.PipelineTestKit.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secure-aggregation messages, random and mutated, through the coordinator's real pipeline
 * (EmbeddedChannel) while a {@link SecAggAggregator} round is open, the test driving the stages
 * as {@link SecureRound} does. {@value #ROUNDS} seeded rounds of {@value #HONEST} honest clients
 * (real {@link SecAggClient}s), {@value #ATTACKERS} selected attackers and one stranger; in each
 * stage every attacker sends {@value #BURST} messages besides its own, of all four kinds:
 *
 * <ul>
 *   <li>refused without failing the sender: wrong rounds, messages of another stage, reveals
 *       from non-survivors, keys from a client not selected;</li>
 *   <li>refused and failing the sender: keys of the wrong size, random bytes, the same key
 *       twice, oversized signatures and certificates, keys or shares sent twice; shares missing,
 *       for unknown peers, for a peer twice, too many, with ciphertexts or commitments of the
 *       wrong size;</li>
 *   <li>from one attacker a round (the vandal) and the stranger, all of them damaged at the byte
 *       level ({@link PipelineTestKit#mutate}), in fragments, reconnecting when cut off.</li>
 * </ul>
 *
 * Of the other attackers, one a round fails at the keys, one at the shares, and one commits and
 * then drops out (its mask key rebuilt from the honest survivors). One honest survivor also sends every
 * kind of malformed reveal and list signature before its good reveal (nothing of them may be
 * kept). No exception escapes the pipeline, no honest client is ever failed, every attacker is,
 * and the round's mean is the example-weighted mean of the honest updates, computed here from
 * the floats, within the fixed-point bound. Not fed: share ciphertexts of the right size that do
 * not open; the coordinator cannot tell them from good ones, and their recipients refuse them and
 * leave the round (docs/secure-aggregation.md). About 2 s.
 */
class SecureAggregationFuzzTest {
    private static final int ROUNDS = 8;
    private static final int HONEST = 6;
    private static final int ATTACKERS = 4;
    private static final int BURST = 25;
    private static final int PARAMS = 300;
    private static final int PER_CHUNK = 128;
    private static final long WEIGHT_CAP = 600;
    private static final int MAX_FRAME = 1 << 20;

    private enum Fate {
        FAILS_AT_KEYS, FAILS_AT_SHARES, DROPS_AFTER_COMMITTING,
        /** Every frame it sends is damaged at the byte level; it reconnects whenever the coordinator hangs up. */
        VANDAL
    }

    private final InlineExecutor aggregationThread = new InlineExecutor();
    private final CoordinatorState state = new CoordinatorState(
            new CoordinatorLimits(MAX_FRAME, 32 << 10, 64, PER_CHUNK, 1 << 20, 10_000, 60_000, 10_000, 500, 2_000, 30_000),
            aggregationThread, CodecRegistry.defaultRegistry(), null, null, false, null, false, 0);
    private final Random rng = new Random(20261127L);
    private final SecureRandom secure = new SecureRandom();
    private long transferIds = 1;

    @AfterEach
    void stop() {
        aggregationThread.shutdownNow();
    }

    /** One secure round's participants, their connections and protocol state. */
    private final class Round {
        final long number;
        final List<String> honest = new ArrayList<>();
        final Map<String, Fate> attackers = new LinkedHashMap<>();
        final String stranger;
        final Map<String, EmbeddedChannel> channels = new HashMap<>();
        final Map<String, SecAggClient> clients = new HashMap<>();
        final Map<String, float[]> deltas = new HashMap<>();
        final Map<String, Long> examples = new HashMap<>();
        final MaskedWords words;
        final SecAggAggregator secAgg;
        final ActiveRound active;
        final RecordingAggregation aggregation = new RecordingAggregation(PARAMS);
        final Predicate<String> gone;
        Map<String, SecAggRoster> rosters = Map.of();

        Round(long number) {
            this.number = number;
            List<String> selected = new ArrayList<>();
            Map<String, Long> declared = new HashMap<>();
            for (int i = 0; i < HONEST; i++) {
                String id = "honest-" + number + "-" + i;
                honest.add(id);
                deltas.put(id, PipelineTestKit.gaussian(rng, PARAMS, 0.05));
                examples.put(id, 50L + rng.nextInt(900)); // some over the weight cap
            }
            List<Fate> fates = new ArrayList<>(List.of(Fate.values())); // each fate once a round, in any order
            java.util.Collections.shuffle(fates, rng);
            for (int i = 0; i < ATTACKERS; i++) {
                String id = "attacker-" + number + "-" + i;
                attackers.put(id, fates.get(i));
                examples.put(id, 50L + rng.nextInt(900));
            }
            stranger = "stranger-" + number;
            examples.put(stranger, 100L);
            selected.addAll(honest);
            selected.addAll(attackers.keySet());
            selected.forEach(id -> declared.put(id, examples.get(id)));
            words = MaskedWords.forRound(32, 1.0, WEIGHT_CAP, selected.size());
            secAgg = new SecAggAggregator(number, selected, words, PARAMS, 0, 0.5, new Random(rng.nextLong()));
            active = new ActiveRound(number, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME), new Fp32Codec(), PARAMS,
                    PER_CHUNK, Long.MAX_VALUE, selected, () -> aggregation, new RoundListener() { }, null, secAgg);
            active.limits(new ActiveRound.RoundLimits(declared, Long.MAX_VALUE, Double.POSITIVE_INFINITY,
                    Integer.MAX_VALUE));
            state.round = active;
            gone = id -> active.hasFailed(id) || state.registry.get(id).map(s -> !s.isActive()).orElse(true);
            List<String> everyone = new ArrayList<>(selected);
            everyone.add(stranger);
            for (String id : everyone) {
                connect(id);
                clients.put(id, new SecAggClient(id, number, words, secure));
            }
        }

        EmbeddedChannel connect(String id) {
            EmbeddedChannel ch = new EmbeddedChannel(new CoordinatorChannelInitializer(state));
            send(ch, PipelineTestKit.hello(id, examples.getOrDefault(id, 100L)));
            assertEquals(Envelope.BodyCase.WELCOME, received(ch).get(0).getBodyCase());
            EmbeddedChannel old = channels.put(id, ch);
            if (old != null) {
                old.runPendingTasks(); // the registry closed it
                old.checkException();
                old.finishAndReleaseAll();
            }
            return ch;
        }

        void assertNoHonestClientFailed(String after) {
            for (String id : honest) {
                assertFalse(active.hasFailed(id), id + " was failed after " + after);
                assertTrue(channels.get(id).isActive(), id + " lost its connection after " + after);
            }
        }

        void close() {
            channels.values().forEach(ch -> {
                ch.close();
                ch.checkException();
                ch.finishAndReleaseAll();
            });
        }
    }

    private static Envelope keys(SecAggKeys k) {
        return Envelope.newBuilder().setSecaggKeys(k).build();
    }

    private static Envelope shares(SecAggShares s) {
        return Envelope.newBuilder().setSecaggShares(s).build();
    }

    private static Envelope reveal(SecAggReveal r) {
        return Envelope.newBuilder().setSecaggReveal(r).build();
    }

    private static Envelope listSignature(SecAggListSignature s) {
        return Envelope.newBuilder().setSecaggListSignature(s).build();
    }

    private ByteString randomBytes(int n) {
        byte[] b = new byte[n];
        rng.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    /** A message of any of the four kinds that the coordinator refuses without failing its sender in {@code stage}. */
    private Envelope harmless(Round r, String id, int stage) {
        long wrongRound = r.number + (rng.nextBoolean() ? 1 : -1) * (1 + rng.nextInt(1000));
        SecAggKeys k = SecAggKeys.newBuilder().setRound(r.number).setCipherPublicKey(randomBytes(44))
                .setMaskPublicKey(randomBytes(44)).build();
        return switch (rng.nextInt(stage == 0 ? 4 : 2)) {
            case 0 -> keys(k.toBuilder().setRound(wrongRound).build());
            case 1 -> reveal(SecAggReveal.newBuilder().setRound(wrongRound).build());
            // out of their stage in the key stage:
            case 2 -> shares(SecAggShares.newBuilder().setRound(r.number).setSelfSeedCommitment(randomBytes(32)).build());
            default -> listSignature(SecAggListSignature.newBuilder().setRound(r.number).setSignature(randomBytes(64))
                    .build());
        };
    }

    /** Keys the coordinator must refuse, failing their sender. */
    private List<Envelope> badKeys(SecAggKeys good) {
        return switch (rng.nextInt(6)) {
            case 0 -> {
                int n = rng.nextInt(300);
                yield List.of(keys(good.toBuilder().setCipherPublicKey(randomBytes(n == 44 ? 45 : n)).build()));
            }
            case 1 -> List.of(keys(good.toBuilder().setMaskPublicKey(randomBytes(44)).build()));
            case 2 -> List.of(keys(good.toBuilder().setMaskPublicKey(good.getCipherPublicKey()).build()));
            case 3 -> List.of(keys(good.toBuilder().setSignature(randomBytes(73 + rng.nextInt(500))).build()));
            case 4 -> List.of(keys(good.toBuilder().setCertificate(randomBytes(4097 + rng.nextInt(4000))).build()));
            default -> List.of(keys(good), keys(good)); // the same keys twice
        };
    }

    /** Shares the coordinator must refuse, failing their sender. */
    private List<Envelope> badShares(SecAggShares good) {
        int n = good.getSharesCount();
        SecAggShares.Builder b = good.toBuilder();
        int k = rng.nextInt(n);
        switch (rng.nextInt(7)) {
            case 0 -> b.removeShares(k);
            case 1 -> b.addShares(SecAggSealedShare.newBuilder().setPeer("nobody").setCiphertext(good.getShares(k)
                    .getCiphertext()));
            case 2 -> b.setShares(k, good.getShares(k).toBuilder().setPeer("nobody"));
            case 3 -> b.setShares(k, good.getShares(k).toBuilder().setPeer(good.getShares((k + 1) % n).getPeer()));
            case 4 -> {
                int size = good.getShares(k).getCiphertext().size();
                int wrong = rng.nextBoolean() ? rng.nextInt(size) : size + 1 + rng.nextInt(2000);
                b.setShares(k, good.getShares(k).toBuilder().setCiphertext(randomBytes(wrong)));
            }
            case 5 -> {
                int wrong = rng.nextInt(100);
                b.setSelfSeedCommitment(randomBytes(wrong == 32 ? 33 : wrong));
            }
            default -> {
                return List.of(shares(good), shares(good)); // the same shares twice
            }
        }
        return List.of(shares(b.build()));
    }

    /** Malformed reveals from a survivor, {@code good} being its honest one: each refused, none kept. */
    private List<Envelope> badReveals(SecAggReveal good, Round r) {
        List<Envelope> out = new ArrayList<>();
        SecAggRevealedShare s = good.getShares(0);
        out.add(reveal(good.toBuilder().setShares(0, s.toBuilder().setY(randomBytes(65))).build()));
        out.add(reveal(good.toBuilder().setShares(0, s.toBuilder().setY(randomBytes(67 + rng.nextInt(500)))).build()));
        out.add(reveal(good.toBuilder().setShares(0, s.toBuilder().setY(ByteString.copyFrom(
                new byte[] {(byte) 0xff, (byte) 0xff}).concat(randomBytes(64)))).build())); // >= 2^521 - 1
        out.add(reveal(good.toBuilder().setShares(0, s.toBuilder().setX(s.getX() + 1)).build()));
        out.add(reveal(good.toBuilder().setShares(0, s.toBuilder().setSelfSeed(!s.getSelfSeed())).build()));
        out.add(reveal(good.toBuilder().setShares(0, s.toBuilder().setOwner("nobody")).build()));
        out.add(reveal(good.toBuilder().addShares(s).build())); // an owner twice
        SecAggReveal.Builder many = good.toBuilder();
        for (int i = 0; i < 70; i++) {
            many.addShares(s);
        }
        out.add(reveal(many.build()));
        out.add(listSignature(SecAggListSignature.newBuilder().setRound(r.number).setSignature(randomBytes(73)).build()));
        out.add(listSignature(SecAggListSignature.newBuilder().setRound(r.number).setClientId("someone").build()));
        out.add(listSignature(SecAggListSignature.newBuilder().setRound(r.number).setCertificate(randomBytes(10)).build()));
        return out;
    }

    /**
     * Sends a message the coordinator must refuse and checks the refusal; a vandal's and the
     * stranger's go damaged, in fragments, their answers unread (a damaged frame may swallow the next).
     */
    private void sendBad(Round r, String id, Envelope e, boolean failsSender) {
        EmbeddedChannel ch = r.channels.get(id);
        if (r.attackers.get(id) == Fate.VANDAL || id.equals(r.stranger)) {
            if (!ch.isActive()) {
                ch = r.connect(id);
            }
            PipelineTestKit.feed(ch, PipelineTestKit.mutate(PipelineTestKit.frame(e), rng, MAX_FRAME), rng);
            r.assertNoHonestClientFailed("a damaged frame from " + id);
            return;
        }
        send(ch, e);
        List<Envelope> replies = received(ch);
        ErrorCode code = PipelineTestKit.errorCode(replies);
        if (failsSender) {
            assertTrue(code != ErrorCode.WRONG_ROUND && code != ErrorCode.LATE_RESULT, id + ": " + replies);
            assertTrue(r.active.hasFailed(id), id + " is failed for " + e);
        } else {
            assertTrue(code == ErrorCode.WRONG_ROUND || code == ErrorCode.LATE_RESULT
                    || code == ErrorCode.UNEXPECTED_MESSAGE, id + ": " + code + " for " + e);
        }
        r.assertNoHonestClientFailed(code + " to " + id);
    }

    private void noise(Round r, int stage) {
        for (String id : r.attackers.keySet()) {
            for (int i = 0; i < BURST; i++) {
                sendBad(r, id, harmless(r, id, stage), false);
            }
        }
        sendBad(r, r.stranger, harmless(r, r.stranger, stage), false);
    }

    private static void sendGood(Round r, String id, Envelope e) {
        EmbeddedChannel ch = r.channels.get(id);
        send(ch, e);
        List<Envelope> replies = received(ch);
        assertFalse(replies.stream().anyMatch(Envelope::hasError), id + " was refused: " + replies);
    }

    private static void failOthers(Round r, Set<String> kept, String reason) {
        for (String id : r.active.selectedIds()) {
            if (!kept.contains(id)) {
                r.active.clientFailed(id, reason);
            }
        }
    }

    private void runRound(Round r) {
        // stage 1: keys
        noise(r, 0);
        for (String id : r.honest) {
            sendGood(r, id, keys(r.clients.get(id).advertise()));
        }
        EmbeddedChannel strangers = r.connect(r.stranger + "-again"); // not selected
        send(strangers, keys(r.clients.get(r.stranger).advertise()));
        assertEquals(ErrorCode.UNEXPECTED_MESSAGE, PipelineTestKit.errorCode(received(strangers)));
        for (Map.Entry<String, Fate> a : r.attackers.entrySet()) {
            SecAggKeys good = r.clients.get(a.getKey()).advertise();
            if (a.getValue() == Fate.VANDAL) {
                for (Envelope bad : badKeys(good)) {
                    sendBad(r, a.getKey(), bad, true);
                }
            } else if (a.getValue() == Fate.FAILS_AT_KEYS) {
                List<Envelope> bad = badKeys(good);
                if (bad.size() == 2) {
                    sendGood(r, a.getKey(), bad.get(0));
                }
                sendBad(r, a.getKey(), bad.get(bad.size() - 1), true);
            } else {
                sendGood(r, a.getKey(), keys(good));
            }
        }
        // as SecureRound does once every client answered or the stage timed out
        r.rosters = r.secAgg.closeKeys(r.gone);
        failOthers(r, r.rosters.keySet(), "sent no secure-aggregation keys in time");
        assertTrue(r.rosters.keySet().containsAll(r.honest), "every honest client is in the graph");

        // stage 2: shares
        noise(r, 1);
        for (String id : r.honest) {
            sendGood(r, id, shares(r.clients.get(id).share(r.rosters.get(id))));
        }
        for (Map.Entry<String, Fate> a : r.attackers.entrySet()) {
            SecAggRoster roster = r.rosters.get(a.getKey());
            if (roster == null) {
                continue; // out already
            }
            SecAggShares good = r.clients.get(a.getKey()).share(roster);
            if (a.getValue() == Fate.FAILS_AT_SHARES) {
                List<Envelope> bad = badShares(good);
                if (bad.size() == 2) {
                    sendGood(r, a.getKey(), bad.get(0));
                }
                sendBad(r, a.getKey(), bad.get(bad.size() - 1), true);
            } else {
                sendGood(r, a.getKey(), shares(good));
            }
        }
        Map<String, SecAggShares> forwards = r.secAgg.closeShares(r.gone);
        failOthers(r, forwards.keySet(), "did not commit to the secure aggregation in time");
        assertTrue(forwards.keySet().containsAll(r.honest), "every honest client committed");
        for (String id : r.honest) {
            r.clients.get(id).receive(forwards.get(id)); // an honest client opens every share it is forwarded
        }

        // stage 3: masked uploads, from the honest clients only; the committed attackers drop out
        noise(r, 2);
        for (String id : r.honest) {
            List<byte[]> masked = r.clients.get(id).mask(r.deltas.get(id), r.examples.get(id), PER_CHUNK);
            Upload u = PipelineTestKit.upload(new Announcement(r.number, 5, transferIds++, r.examples.get(id),
                    WireProtocol.MASKED_CODEC), masked, PER_CHUNK, PARAMS, null);
            EmbeddedChannel ch = r.channels.get(id);
            send(ch, u.announce());
            u.chunks().forEach(c -> send(ch, c));
            List<Envelope> replies = received(ch);
            assertEquals(Envelope.BodyCase.UPDATE_ACCEPTED, replies.get(replies.size() - 1).getBodyCase(),
                    id + ": " + replies);
        }
        List<Failure> failures = r.active.closeUploads();
        assertEquals(new TreeSet<>(r.attackers.keySet()), new TreeSet<>(failures.stream().map(Failure::clientId).toList()),
                "every attacker, and only they, failed the round: " + failures);

        // stage 4: unmasking; one survivor sends every malformed reveal first, the attackers noise
        SecAggUnmask request = r.secAgg.closeMasked();
        assertEquals(new TreeSet<>(r.honest), new TreeSet<>(request.getSurvivorsList()));
        noise(r, 3);
        for (String a : r.attackers.keySet()) {
            sendBad(r, a, reveal(SecAggReveal.newBuilder().setRound(r.number).build()), false);
        }
        String sloppy = r.honest.get(rng.nextInt(HONEST));
        for (String id : r.honest) {
            SecAggReveal good = r.clients.get(id).reveal(request);
            if (id.equals(sloppy)) {
                for (Envelope bad : badReveals(good, r)) {
                    EmbeddedChannel ch = r.channels.get(id);
                    send(ch, bad);
                    assertTrue(received(ch).stream().anyMatch(Envelope::hasError), "refused: " + bad);
                }
            }
            sendGood(r, id, reveal(good));
            if (id.equals(sloppy)) {
                send(r.channels.get(id), reveal(good));
                assertEquals(ErrorCode.DUPLICATE_RESULT, PipelineTestKit.errorCode(received(r.channels.get(id))));
            }
        }
        r.assertNoHonestClientFailed("the reveals");
        assertTrue(r.secAgg.revealsComplete(r.gone));
        SecAggAggregator.Result result = r.secAgg.finish();
        assertTrue(result.dishonestHolders().isEmpty(), "no share was proved wrong: " + result.dishonestHolders());
        r.active.finishSecure(result, failures);
        assertExactSecureMean(r);
    }

    /** The mean the round produced against the honest clients' weighted mean, computed from their floats. */
    private static void assertExactSecureMean(Round r) {
        double[] expected = new double[PARAMS];
        long total = 0;
        for (String id : r.honest) {
            long w = Math.min(r.examples.get(id), WEIGHT_CAP);
            total += w;
            float[] d = r.deltas.get(id);
            for (int p = 0; p < PARAMS; p++) {
                expected[p] += (double) d[p] * w;
            }
        }
        assertEquals(1, r.aggregation.accepted(), "one update: the secure mean");
        assertEquals(total, r.aggregation.weights.get(0), "weighted by the honest clients' capped examples");
        float[] mean = r.aggregation.folded.get(0);
        // each client's words round to within half a unit: the mean to within HONEST / (2^(f+1) * total)
        double bound = HONEST / (Math.scalb(1.0, r.words.fractionBits() + 1) * total);
        for (int p = 0; p < PARAMS; p++) {
            double e = expected[p] / total;
            double error = Math.abs(e - mean[p]);
            assertTrue(error <= bound + Math.ulp((float) e), "parameter " + p + ": " + mean[p] + " vs " + e + ", off by "
                    + error + " > " + bound);
        }
    }

    @Test
    void hostileSecureAggregationMessagesFailOnlyTheirSendersAndTheHonestMeanComesOut() {
        Set<Fate> seen = new java.util.HashSet<>();
        for (long n = 1; n <= ROUNDS; n++) {
            Round r = new Round(n);
            seen.addAll(r.attackers.values());
            runRound(r);
            r.close();
            assertEquals(0, state.uploadGate.bytesInUse());
        }
        assertEquals(Set.of(Fate.values()), seen, "every attacker's fate was tried");
    }
}
