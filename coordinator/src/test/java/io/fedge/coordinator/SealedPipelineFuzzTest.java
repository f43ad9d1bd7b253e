package io.fedge.coordinator;

import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.fedge.coordinator.PipelineTestKit.Announcement;
import io.fedge.coordinator.PipelineTestKit.InlineExecutor;
import io.fedge.coordinator.PipelineTestKit.RecordingAggregation;
import io.fedge.coordinator.PipelineTestKit.Upload;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.fedge.coordinator.PipelineTestKit.frame;
import static io.fedge.coordinator.PipelineTestKit.received;
import static io.fedge.coordinator.PipelineTestKit.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sealed-update path through the coordinator's real pipeline (EmbeddedChannel), with a round
 * key pair per round as {@code RoundLoop} makes them and the client's {@link UpdateSealer} on the
 * test's side. {@value #SESSIONS} sessions, seeded, one round and one connection each:
 *
 * <ul>
 *   <li>three in four carry one semantic attack on an honestly sealed, finite update, with the
 *       digest recomputed over what is sent (as a relay that terminates TLS can): a flipped bit,
 *       two chunks swapped, a chunk replayed, a chunk truncated, chunks of another transfer, of
 *       another client, sealed to the previous round's key, or replayed from the previous round
 *       under this round's number; ephemeral keys of the wrong length, of random bytes, or of a
 *       small-order point; an unsealed update in a sealed round and a sealed one in a round that
 *       publishes no key. Each must be refused with its own error code;</li>
 *   <li>one in four is an honestly sealed update holding a NaN with half its frames damaged at
 *       the byte level ({@link PipelineTestKit#mutate}) and sent in random fragments: even intact
 *       it must be refused, after opening, for its value.</li>
 * </ul>
 *
 * No exception escapes the pipeline, nothing reaches the aggregate, no upload budget stays held;
 * then an honest sealed update is folded in bit for bit. About 5 s.
 */
class SealedPipelineFuzzTest {
    private static final int PARAMS = 600;
    private static final int PER_CHUNK = 128; // 5 chunks, the last one short
    private static final int CHUNKS = 5;
    private static final int SESSIONS = 2_500;
    private static final int MAX_FRAME = 64 << 10;
    private static final List<String> SELECTED = List.of("fuzz-0", "fuzz-1", "fuzz-2", "fuzz-3");

    private enum Attack {
        FLIPPED_BIT, SWAPPED_CHUNKS, REPLAYED_CHUNK, TRUNCATED_CHUNK, OTHER_TRANSFER, OTHER_CLIENT,
        PREVIOUS_ROUND_KEY, PREVIOUS_ROUND_REPLAY, SHORT_OR_LONG_KEY, RANDOM_KEY, SMALL_ORDER_KEY,
        UNSEALED_IN_SEALED_ROUND, SEALED_IN_UNSEALED_ROUND
    }

    /** What each attack must be refused with. */
    private static final Map<Attack, Set<ErrorCode>> REFUSAL = new EnumMap<>(Map.ofEntries(
            Map.entry(Attack.FLIPPED_BIT, Set.of(ErrorCode.DECRYPTION_FAILED)),
            Map.entry(Attack.SWAPPED_CHUNKS, Set.of(ErrorCode.DECRYPTION_FAILED)),
            Map.entry(Attack.REPLAYED_CHUNK, Set.of(ErrorCode.TRANSFER_OUT_OF_ORDER)),
            Map.entry(Attack.TRUNCATED_CHUNK, Set.of(ErrorCode.DECRYPTION_FAILED)),
            Map.entry(Attack.OTHER_TRANSFER, Set.of(ErrorCode.DECRYPTION_FAILED)),
            Map.entry(Attack.OTHER_CLIENT, Set.of(ErrorCode.DECRYPTION_FAILED)),
            Map.entry(Attack.PREVIOUS_ROUND_KEY, Set.of(ErrorCode.DECRYPTION_FAILED)),
            Map.entry(Attack.PREVIOUS_ROUND_REPLAY, Set.of(ErrorCode.DECRYPTION_FAILED)),
            Map.entry(Attack.SHORT_OR_LONG_KEY, Set.of(ErrorCode.MALFORMED)),
            Map.entry(Attack.RANDOM_KEY, Set.of(ErrorCode.MALFORMED)),
            Map.entry(Attack.SMALL_ORDER_KEY, Set.of(ErrorCode.MALFORMED)),
            Map.entry(Attack.UNSEALED_IN_SEALED_ROUND, Set.of(ErrorCode.MALFORMED)),
            // the tags make it longer than an unsealed update can be, which is checked first
            Map.entry(Attack.SEALED_IN_UNSEALED_ROUND, Set.of(ErrorCode.TRANSFER_TOO_LONG, ErrorCode.MALFORMED))));

    private final InlineExecutor aggregationThread = new InlineExecutor();
    private final CoordinatorState state = new CoordinatorState(
            new CoordinatorLimits(MAX_FRAME, 32 << 10, 64, PER_CHUNK, 1 << 20, 10_000, 60_000, 10_000, 500, 2_000, 30_000),
            aggregationThread, CodecRegistry.defaultRegistry(), null, null, true, null, false, 0);
    private final Random rng = new Random(20261126L);
    private final RecordingAggregation aggregation = new RecordingAggregation(PARAMS);
    private long roundNumber;
    private KeyPair roundKeys;
    private KeyPair previousKeys = UpdateSealer.newKeyPair();
    private long transferIds = 1;

    @AfterEach
    void stop() {
        aggregationThread.shutdownNow();
    }

    private void openRound(boolean sealed) {
        roundNumber++;
        if (roundKeys != null) {
            previousKeys = roundKeys;
        }
        roundKeys = sealed ? UpdateSealer.newKeyPair() : null;
        state.round = new ActiveRound(roundNumber, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME),
                new Fp32Codec(), PARAMS, PER_CHUNK, Long.MAX_VALUE, SELECTED, aggregation, new RoundListener() { },
                roundKeys, null);
    }

    private Announcement announcement(long round, long transferId) {
        return Announcement.fp32(round, 5, transferId, 100);
    }

    /** An honest sealed upload of {@code update} by {@code id} in round {@code round} to {@code key}. */
    private Upload sealed(String id, float[] update, long round, KeyPair key, long transferId) {
        return PipelineTestKit.upload(announcement(round, transferId), update, PER_CHUNK,
                UpdateSealer.seal(key.getPublic(), round, id, transferId));
    }

    private static List<byte[]> wire(Upload u) {
        List<byte[]> out = new ArrayList<>();
        u.chunks().forEach(c -> out.add(c.getChunk().getData().toByteArray()));
        return out;
    }

    private static byte[] key(Upload u) {
        return u.result().getEphemeralPublicKey().toByteArray();
    }

    private Upload onWire(long transferId, List<byte[]> chunks, byte[] key) {
        return PipelineTestKit.onWire(announcement(roundNumber, transferId), chunks, PER_CHUNK, PARAMS, key);
    }

    /** The frames {@code id} sends to carry out {@code attack} on its honest update {@code update}. */
    private List<Envelope> attack(Attack attack, String id, float[] update) {
        long t = transferIds++;
        Upload honest = attack == Attack.SEALED_IN_UNSEALED_ROUND
                ? sealed(id, update, roundNumber, previousKeys, t)
                : roundKeys == null ? null : sealed(id, update, roundNumber, roundKeys, t);
        List<byte[]> chunks = honest == null ? null : wire(honest);
        Upload u = switch (attack) {
            case FLIPPED_BIT -> {
                byte[] c = chunks.get(rng.nextInt(CHUNKS));
                c[rng.nextInt(c.length)] ^= (byte) (1 << rng.nextInt(8));
                yield onWire(t, chunks, key(honest));
            }
            case SWAPPED_CHUNKS -> {
                int a = rng.nextInt(CHUNKS);
                int b = (a + 1 + rng.nextInt(CHUNKS - 1)) % CHUNKS;
                byte[] x = chunks.get(a);
                chunks.set(a, chunks.get(b));
                chunks.set(b, x);
                yield onWire(t, chunks, key(honest));
            }
            case REPLAYED_CHUNK -> {
                List<Envelope> frames = new ArrayList<>(honest.chunks());
                int k = rng.nextInt(CHUNKS - 1);
                frames.add(k + 1, honest.chunks().get(k));
                yield new Upload(honest.announce(), frames);
            }
            case TRUNCATED_CHUNK -> {
                int k = rng.nextInt(CHUNKS);
                byte[] c = chunks.get(k);
                chunks.set(k, Arrays.copyOf(c, c.length - 1 - rng.nextInt(c.length - 1)));
                yield onWire(t, chunks, key(honest));
            }
            case OTHER_TRANSFER -> { // the chunks of another upload of the same client, under this one's key
                Upload other = sealed(id, update, roundNumber, roundKeys, t + 1_000_000_000L);
                yield onWire(t, wire(other), key(honest));
            }
            case OTHER_CLIENT -> { // another client's upload, moved onto this client's connection
                String victim = SELECTED.get((SELECTED.indexOf(id) + 1) % SELECTED.size());
                yield sealed(victim, update, roundNumber, roundKeys, t);
            }
            case PREVIOUS_ROUND_KEY -> sealed(id, update, roundNumber, previousKeys, t);
            case PREVIOUS_ROUND_REPLAY -> { // sealed for the previous round, announced for this one
                Upload old = sealed(id, update, roundNumber - 1, roundKeys, t);
                yield onWire(t, wire(old), key(old));
            }
            case SHORT_OR_LONG_KEY -> {
                int n = rng.nextBoolean() ? 1 + rng.nextInt(43) : 45 + rng.nextInt(200);
                byte[] k = Arrays.copyOf(key(honest), n);
                yield onWire(t, chunks, k);
            }
            case RANDOM_KEY -> {
                byte[] k = new byte[44];
                rng.nextBytes(k);
                yield onWire(t, chunks, k);
            }
            case SMALL_ORDER_KEY -> { // a well-formed X.509 key whose point has small order (0 or 1)
                byte[] k = key(honest);
                Arrays.fill(k, 12, 44, (byte) 0);
                k[12] = (byte) rng.nextInt(2);
                yield onWire(t, chunks, k);
            }
            case UNSEALED_IN_SEALED_ROUND -> onWire(t, PipelineTestKit.fp32Chunks(update, PER_CHUNK), null);
            case SEALED_IN_UNSEALED_ROUND -> honest;
        };
        List<Envelope> frames = new ArrayList<>();
        frames.add(u.announce());
        frames.addAll(u.chunks());
        return frames;
    }

    private EmbeddedChannel register(String id) {
        EmbeddedChannel ch = new EmbeddedChannel(new CoordinatorChannelInitializer(state));
        send(ch, PipelineTestKit.hello(id, 100));
        assertEquals(Envelope.BodyCase.WELCOME, received(ch).get(0).getBodyCase());
        return ch;
    }

    @Test
    void hostileSealedUploadsNeverReachTheAggregateAndAnHonestOneIsFoldedExactly() {
        Map<Attack, Integer> refused = new EnumMap<>(Attack.class);
        int damagedSessions = 0;
        float[] poisoned = PipelineTestKit.gaussian(rng, PARAMS, 0.1);
        for (int session = 0; session < SESSIONS; session++) {
            String id = SELECTED.get(rng.nextInt(SELECTED.size()));
            if (rng.nextInt(4) == 0) {
                openRound(true);
                damagedSessions++;
                poisoned[rng.nextInt(PARAMS)] = Float.NaN;
                Upload u = sealed(id, poisoned, roundNumber, roundKeys, transferIds++);
                List<byte[]> script = new ArrayList<>();
                script.add(frame(PipelineTestKit.hello(id, 100)));
                script.add(frame(u.announce()));
                u.chunks().forEach(c -> script.add(frame(c)));
                EmbeddedChannel ch = new EmbeddedChannel(new CoordinatorChannelInitializer(state));
                for (byte[] f : script) {
                    if (!PipelineTestKit.feed(ch, rng.nextBoolean() ? f : PipelineTestKit.mutate(f, rng, MAX_FRAME), rng)) {
                        break;
                    }
                }
                ch.close();
                ch.checkException();
                ch.finishAndReleaseAll();
                continue;
            }
            Attack attack = Attack.values()[rng.nextInt(Attack.values().length)];
            openRound(attack != Attack.SEALED_IN_UNSEALED_ROUND);
            EmbeddedChannel ch = register(id);
            for (Envelope e : attack(attack, id, PipelineTestKit.gaussian(rng, PARAMS, 0.1))) {
                send(ch, e);
            }
            List<Envelope> replies = received(ch);
            ErrorCode code = PipelineTestKit.errorCode(replies);
            assertTrue(REFUSAL.get(attack).contains(code), attack + " was refused with " + code + ": " + replies);
            assertFalse(replies.stream().anyMatch(Envelope::hasUpdateAccepted), attack + " was accepted");
            // whatever is refused for its content, announcement or chunk, fails the client for the round at once
            assertTrue(state.round.hasFailed(id), attack + " refused with " + code);
            assertTrue(ch.isActive(), "a refused upload drops the transfer, not the connection");
            refused.merge(attack, 1, Integer::sum);
            ch.close();
            ch.checkException();
            ch.finishAndReleaseAll();
            assertEquals(0, aggregation.accepted(), attack + " reached the aggregate");
        }
        assertEquals(0, aggregation.accepted(), "nothing hostile reached the aggregate");
        assertEquals(0, state.uploadGate.bytesInUse());
        assertEquals(Attack.values().length, refused.size(), "every attack was tried: " + refused);
        assertTrue(damagedSessions > SESSIONS / 5, damagedSessions + " damaged sessions");

        // The coordinator still opens and folds an honest sealed update, bit for bit.
        openRound(true);
        float[] honest = PipelineTestKit.gaussian(rng, PARAMS, 1);
        EmbeddedChannel good = register("fuzz-2");
        Upload u = sealed("fuzz-2", honest, roundNumber, roundKeys, transferIds++);
        send(good, u.announce());
        u.chunks().forEach(c -> send(good, c));
        List<Envelope> replies = received(good);
        assertEquals(Envelope.BodyCase.UPDATE_ACCEPTED, replies.get(replies.size() - 1).getBodyCase(), replies.toString());
        good.finishAndReleaseAll();
        assertEquals(1, aggregation.accepted());
        assertArrayEquals(honest, aggregation.folded.get(0), 0f);
        assertEquals(0, state.uploadGate.bytesInUse());
    }
}
