package io.fedge.comm.secagg;

import com.google.protobuf.ByteString;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.SecAggKeys;
import io.fedge.comm.proto.SecAggListSignature;
import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRevealedShare;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggSealedShare;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.fedge.comm.secagg.SecAggTestRound.NOBODY_GONE;
import static io.fedge.comm.secagg.SecAggTestRound.PARAMS;
import static io.fedge.comm.secagg.SecAggTestRound.ROUND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every field a client sends in a secure-aggregation message is bounded, so no client can make
 * the coordinator relay more than the documented sizes to its neighbours. The bounds are written
 * out here as numbers (docs/secure-aggregation.md): an X25519 public key in X.509 form is 44
 * bytes (a 12-byte header and the 32-byte u-coordinate), an ECDSA P-256 DER signature at most 72
 * (two 33-byte integers with their headers), a certificate at most 4096, a client id at most 128,
 * a share value 66 bytes (the field GF(2^521 - 1)), a commitment 32 (SHA-256), a client at most
 * 64 neighbours.
 */
class SecAggBoundsTest {
    private final SecureRandom random = new SecureRandom();

    private static void assertRefused(ErrorCode code, Executable action, String... mentions) {
        FedgeException e = assertThrows(FedgeException.class, action);
        assertEquals(code, e.code(), e.getMessage());
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "'" + e.getMessage() + "' does not mention " + m);
        }
    }

    private ByteString bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    private static ByteString grow(ByteString b, int by) {
        return by >= 0 ? b.concat(ByteString.copyFrom(new byte[by])) : b.substring(0, b.size() + by);
    }

    @Test
    void keysAreRefusedOverTheirBoundsAndAcceptedAtThem() {
        SecAggTestRound r = new SecAggTestRound(5, 32, 21);
        SecAggAggregator agg = r.aggregator;
        SecAggKeys honest = r.clients.get("client-000").advertise();
        assertEquals(44, honest.getCipherPublicKey().size());
        assertEquals(44, honest.getMaskPublicKey().size());
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptKeys("client-000", honest.toBuilder()
                .setCipherPublicKey(grow(honest.getCipherPublicKey(), 1)).build()), "cipher_public_key", "45", "44");
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptKeys("client-000", honest.toBuilder()
                .setMaskPublicKey(bytes(1 << 20)).build()), "mask_public_key", String.valueOf(1 << 20), "44");
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptKeys("client-000", honest.toBuilder()
                .setMaskPublicKey(grow(honest.getMaskPublicKey(), -1)).build()), "mask_public_key", "43", "44");
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptKeys("client-000", honest.toBuilder()
                .setSignature(bytes(73)).setCertificate(bytes(500)).build()), "signature", "73", "72");
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptKeys("client-000", honest.toBuilder()
                .setSignature(bytes(70)).setCertificate(bytes(4097)).build()), "certificate", "4097", "4096");
        // nothing of the refused messages stuck: the same client's keys at the bounds are accepted
        agg.acceptKeys("client-000", honest.toBuilder().setSignature(bytes(72)).setCertificate(bytes(4096)).build());

        String longId = "c".repeat(129);
        SecAggAggregator withLongId = new SecAggAggregator(ROUND, List.of(longId, "a", "b"), r.words, PARAMS, 0, 0.5,
                new Random(1));
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> withLongId.acceptKeys(longId,
                new SecAggClient(longId, ROUND, r.words, random).advertise()), "client id", "129", "128");
    }

    @Test
    void sharesAreRefusedOverTheirBoundsAndForNonNeighbours() {
        SecAggTestRound r = new SecAggTestRound(12, 32, 22, 4);
        r.clients.forEach((id, c) -> r.aggregator.acceptKeys(id, c.advertise()));
        Map<String, SecAggRoster> rosters = r.aggregator.closeKeys(NOBODY_GONE);
        SecAggRoster roster = rosters.get("client-000");
        assertEquals(4, roster.getPeersCount());
        SecAggShares honest = r.clients.get("client-000").share(roster);
        SecAggAggregator agg = r.aggregator;
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptShares("client-000", honest.toBuilder()
                .addShares(honest.getShares(0)).build()), "shares", "5", "4");
        SecAggSealedShare first = honest.getShares(0);
        int sealed = first.getCiphertext().size();
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptShares("client-000", honest.toBuilder()
                .setShares(0, first.toBuilder().setCiphertext(grow(first.getCiphertext(), 1))).build()),
                "ciphertext", String.valueOf(sealed + 1), String.valueOf(sealed));
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptShares("client-000", honest.toBuilder()
                .setShares(0, first.toBuilder().setCiphertext(grow(first.getCiphertext(), -1))).build()),
                "ciphertext", String.valueOf(sealed - 1), String.valueOf(sealed));
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptShares("client-000", honest.toBuilder()
                .setSelfSeedCommitment(bytes(33)).build()), "self_seed_commitment", "33", "32");
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptShares("client-000", honest.toBuilder()
                .setSelfSeedCommitment(bytes(31)).build()), "self_seed_commitment", "31", "32");
        String stranger = r.clients.keySet().stream()
                .filter(id -> !id.equals("client-000") && roster.getPeersList().stream().noneMatch(p -> p.getClientId().equals(id)))
                .findFirst().orElseThrow();
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptShares("client-000", honest.toBuilder()
                .setShares(0, first.toBuilder().setPeer(stranger)).build()), stranger);
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptShares("client-000", honest.toBuilder()
                .setShares(1, honest.getShares(1).toBuilder().setPeer(first.getPeer())).build()), first.getPeer());
        agg.acceptShares("client-000", honest); // nothing of the refused messages stuck
    }

    @Test
    void revealsAreRefusedOverTheirBoundsAndTheRoundStillSums() {
        SecAggTestRound r = new SecAggTestRound(6, 32, 23);
        Set<String> committed = r.commit(Set.of());
        r.upload(committed, Set.of());
        SecAggUnmask request = r.aggregator.closeMasked();
        SecAggReveal honest = r.clients.get("client-001").reveal(request);
        assertEquals(5, honest.getSharesCount());
        SecAggRevealedShare first = honest.getShares(0);
        SecAggAggregator agg = r.aggregator;
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptReveal("client-001", honest.toBuilder()
                .addShares(first).build()), "shares", "6", "5");
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptReveal("client-001", honest.toBuilder()
                .setShares(0, first.toBuilder().setY(ByteString.copyFrom(new byte[1]).concat(first.getY()))).build()),
                "y", "67", "66");
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptReveal("client-001", honest.toBuilder()
                .setShares(0, first.toBuilder().setY(first.getY().substring(1))).build()), "y", "65", "66");
        byte[] prime = ShamirSharing.PRIME.toByteArray(); // 2^521 - 1 in 66 bytes: not a field element
        assertEquals(66, prime.length);
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptReveal("client-001", honest.toBuilder()
                .setShares(0, first.toBuilder().setY(ByteString.copyFrom(prime))).build()), "field");
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptReveal("client-001", honest.toBuilder()
                .setShares(1, first).build()), first.getOwner());
        // nothing of the refused messages stuck: the honest reveal counts, and the round sums exactly
        for (String id : request.getSurvivorsList()) {
            agg.acceptReveal(id, id.equals("client-001") ? honest : r.clients.get(id).reveal(request));
        }
        SecAggAggregator.Result result = agg.finish();
        assertEquals(6, result.survivors());
        double[] expected = r.plainMean(committed);
        for (int p = 0; p < PARAMS; p++) {
            assertEquals(expected[p], result.meanDelta()[p], result.errorBound() + 4e-9);
        }
    }

    @Test
    void listSignaturesAreBounded() {
        SecAggTestRound r = new SecAggTestRound(5, 32, 24);
        Set<String> committed = r.commit(Set.of());
        r.upload(committed, Set.of());
        r.aggregator.closeMasked();
        SecAggAggregator agg = r.aggregator;
        SecAggListSignature.Builder sig = SecAggListSignature.newBuilder().setRound(ROUND);
        assertRefused(ErrorCode.LIMIT_EXCEEDED, () -> agg.acceptListSignature("client-000",
                sig.clone().setSignature(bytes(73)).build()), "signature", "73", "72");
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptListSignature("client-000",
                sig.clone().setSignature(bytes(70)).setCertificate(bytes(10)).build()), "certificate", "10");
        assertRefused(ErrorCode.MALFORMED, () -> agg.acceptListSignature("client-000",
                sig.clone().setSignature(bytes(70)).setClientId("client-001").build()), "client_id", "10");
        agg.acceptListSignature("client-000", sig.clone().setSignature(bytes(72)).build());
    }

    /**
     * 100 clients with 128-character ids and every field at its bound, and a coordinator that asks
     * for the complete graph: each client gets 64 neighbours, and its roster and forwarded shares
     * stay under a third of the default frame limit. The worst case is written out field by field
     * (protobuf: a tag byte, a varint length, the bytes).
     */
    @Test
    void theLargestRosterStaysFarUnderTheFrameLimit() {
        int n = 100;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(String.format("client-%03d-", i) + "x".repeat(128 - 11));
        }
        assertEquals(128, ids.get(0).length());
        MaskedWords words = MaskedWords.forRound(32, 1.0, 100, n);
        SecAggAggregator agg = new SecAggAggregator(ROUND, ids, words, PARAMS, n - 1, 0.5, new Random(3));
        List<SecAggClient> clients = new ArrayList<>();
        for (String id : ids) {
            SecAggClient c = new SecAggClient(id, ROUND, words, random);
            clients.add(c);
            agg.acceptKeys(id, c.advertise().toBuilder().setSignature(bytes(72)).setCertificate(bytes(4096)).build());
        }
        Map<String, SecAggRoster> rosters = agg.closeKeys(NOBODY_GONE);
        assertEquals(64, agg.degree(), "the degree is capped whatever the coordinator asks for");
        int peer = (1 + 2 + 128) + (1 + 5) + 2 * (1 + 1 + 44) + (1 + 1 + 72) + (1 + 2 + 4096);
        int roster = (1 + 10) + (1 + 5) + (1 + 5) + 64 * (1 + 2 + peer);
        int worstRosterFrame = 4 + 1 + 3 + roster;
        assertEquals(281_951, worstRosterFrame);
        assertTrue(worstRosterFrame < WireProtocol.DEFAULT_MAX_FRAME_BYTES / 3);
        for (SecAggRoster r : rosters.values()) {
            assertEquals(64, r.getPeersCount());
            assertEquals(4096, r.getPeers(0).getCertificate().size());
            int frame = 4 + Envelope.newBuilder().setSecaggRoster(r).build().getSerializedSize();
            assertTrue(frame <= worstRosterFrame, frame + " > " + worstRosterFrame);
        }
        for (int i = 0; i < n; i++) {
            agg.acceptShares(ids.get(i), clients.get(i).share(rosters.get(ids.get(i))));
        }
        // a sealed share: nonce, SecAggSharePlain (owner, holder, x, two 66-byte values), GCM tag
        int plain = 2 * (1 + 2 + 128) + (1 + 5) + 2 * (1 + 1 + 66);
        int sealedShare = (1 + 2 + 128) + (1 + 2 + 12 + plain + 16);
        int worstSharesFrame = 4 + 1 + 3 + (1 + 10) + 64 * (1 + 2 + sealedShare);
        for (SecAggShares s : agg.closeShares(NOBODY_GONE).values()) {
            assertEquals(64, s.getSharesCount());
            int frame = 4 + Envelope.newBuilder().setSecaggShares(s).build().getSerializedSize();
            assertTrue(frame <= worstSharesFrame, frame + " > " + worstSharesFrame);
        }
        assertTrue(worstSharesFrame < WireProtocol.DEFAULT_MAX_FRAME_BYTES / 20);
        assertArrayEquals(new int[] {64, 33}, new int[] {agg.degree(), agg.threshold()});
    }
}
