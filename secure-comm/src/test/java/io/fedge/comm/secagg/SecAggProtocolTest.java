package io.fedge.comm.secagg;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRevealedShare;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggSealedShare;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The secure-aggregation protocol between {@link SecAggClient}s and a {@link SecAggAggregator},
 * message by message as the coordinator relays them, against a plain weighted mean computed
 * separately in double precision.
 */
class SecAggProtocolTest {
    private static final int PARAMS = SecAggTestRound.PARAMS;
    private static final int PER_CHUNK = SecAggTestRound.PER_CHUNK;
    private static final Predicate<String> NOBODY_GONE = SecAggTestRound.NOBODY_GONE;

    private static void assertWithin(double[] expected, float[] actual, double bound) {
        double worst = 0;
        for (int p = 0; p < expected.length; p++) {
            worst = Math.max(worst, Math.abs(expected[p] - actual[p]));
        }
        // the float the mean is returned in adds half an ulp of values around 0.05
        assertTrue(worst <= bound + 4e-9, "worst error " + worst + " exceeds the bound " + bound);
    }

    @Test
    void unmaskedSumIsThePlainWeightedMeanWithinTheQuantizationBound() {
        for (int bits : new int[] {32, 64}) {
            SecAggTestRound r = new SecAggTestRound(12, bits, 11 + bits);
            Set<String> committed = r.commit(Set.of());
            assertEquals(12, committed.size());
            r.upload(committed, Set.of());
            SecAggAggregator.Result result = r.unmask();
            assertEquals(12, result.survivors());
            assertWithin(r.plainMean(committed), result.meanDelta(), result.errorBound());
        }
    }

    @Test
    void twentyOfAHundredClientsDroppingAfterCommitmentStillGiveTheExactMean() {
        SecAggTestRound r = new SecAggTestRound(100, 32, 5);
        Set<String> committed = r.commit(Set.of());
        assertEquals(28, r.aggregator.degree(), "2 * ceil(2 * log2 100) neighbours");
        assertEquals(15, r.aggregator.threshold());
        List<String> ids = new ArrayList<>(committed);
        java.util.Collections.shuffle(ids, new Random(9));
        Set<String> dropped = Set.copyOf(ids.subList(0, 20));
        r.upload(committed, dropped);
        SecAggAggregator.Result result = r.unmask();
        assertEquals(80, result.survivors());
        assertEquals(dropped, r.aggregator.dropped());
        Set<String> survivors = new java.util.TreeSet<>(committed);
        survivors.removeAll(dropped);
        assertWithin(r.plainMean(survivors), result.meanDelta(), result.errorBound());
    }

    @Test
    void clientsSilentFromTheStartAreLeftOutOfTheGraph() {
        SecAggTestRound r = new SecAggTestRound(10, 32, 3);
        Set<String> committed = r.commit(Set.of("client-002", "client-007"));
        assertEquals(8, committed.size());
        assertFalse(committed.contains("client-002"));
        r.upload(committed, Set.of("client-004"));
        SecAggAggregator.Result result = r.unmask();
        Set<String> survivors = new java.util.TreeSet<>(committed);
        survivors.remove("client-004");
        assertWithin(r.plainMean(survivors), result.meanDelta(), result.errorBound());
    }

    @Test
    void tooManyDropoutsAbortBeforeAnythingIsRevealed() {
        SecAggTestRound r = new SecAggTestRound(10, 32, 4);
        Set<String> committed = r.commit(Set.of());
        List<String> ids = new ArrayList<>(committed);
        // complete graph of 10: degree 9, threshold 5; six dropping leaves 4 < 5
        r.upload(committed, Set.copyOf(ids.subList(0, 6)));
        FedgeException e = assertThrows(FedgeException.class, r.aggregator::closeMasked);
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, e.code());
        // the round is over: a late reveal is refused rather than stored
        SecAggUnmask forged = SecAggUnmask.newBuilder().setRound(7).addAllSurvivors(ids.subList(6, 10))
                .addAllDropped(ids.subList(0, 6)).build();
        FedgeException late = assertThrows(FedgeException.class,
                () -> r.aggregator.acceptReveal(ids.get(7), SecAggReveal.newBuilder().setRound(7).build()));
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, late.code());
        // and a client asked by a coordinator that ignores the abort still refuses: 4 survivors < threshold 5
        FedgeException refused = assertThrows(FedgeException.class, () -> r.clients.get(ids.get(7)).reveal(forged));
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, refused.code());
    }

    @Test
    void whatTheCoordinatorHoldsForOneClientIsUncorrelatedWithItsUpdate() {
        SecAggTestRound r = new SecAggTestRound(5, 32, 8);
        // a strongly structured update: the masked words must not show it
        float[] structured = new float[PARAMS];
        for (int p = 0; p < PARAMS; p++) {
            structured[p] = (float) (0.9 * Math.sin(p / 50.0));
        }
        r.deltas.put("client-000", structured);
        Set<String> committed = r.commit(Set.of());
        r.upload(committed, Set.of());
        byte[] wire = concat(r.uploads.get("client-000"));
        double[] masked = new double[PARAMS];
        int[] topBytes = new int[256];
        for (int p = 0; p < PARAMS; p++) {
            int w = (wire[4 * p] & 0xff) | (wire[4 * p + 1] & 0xff) << 8 | (wire[4 * p + 2] & 0xff) << 16
                    | (wire[4 * p + 3] & 0xff) << 24;
            masked[p] = w;
            topBytes[w >>> 24]++;
        }
        double r1 = pearson(masked, structured);
        // |r| of independent samples is about N(0, 1/sqrt(n)): 5 sigma is 0.09 at n = 3000
        assertTrue(Math.abs(r1) < 5 / Math.sqrt(PARAMS), "correlation " + r1);
        // the unmasked fixed-point words, by contrast, correlate almost perfectly
        long[] plain = new long[PARAMS];
        r.words.encode(structured, 0, PARAMS, r.words.weight(r.examples.get("client-000")), plain);
        double[] plainD = new double[PARAMS];
        for (int p = 0; p < PARAMS; p++) {
            plainD[p] = plain[p];
        }
        assertTrue(pearson(plainD, structured) > 0.99);
        // top bytes uniform: chi-square with 255 degrees of freedom, 0.1% critical value 330.5
        double expected = PARAMS / 256.0;
        double chi = 0;
        for (int c : topBytes) {
            chi += (c - expected) * (c - expected) / expected;
        }
        assertTrue(chi < 330.5, "chi-square " + chi);
    }

    @Test
    void aClientRevealsOnceAndNeverForAnUnaccountedNeighbour() {
        SecAggTestRound r = new SecAggTestRound(6, 32, 12);
        Set<String> committed = r.commit(Set.of());
        r.upload(committed, Set.of());
        SecAggClient c = r.clients.get("client-001");
        List<String> all = new ArrayList<>(committed);
        SecAggUnmask missing = SecAggUnmask.newBuilder().setRound(7).addAllSurvivors(all.subList(0, 5)).build();
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, assertThrows(FedgeException.class, () -> c.reveal(missing)).code());
        SecAggUnmask both = SecAggUnmask.newBuilder().setRound(7).addAllSurvivors(all).addDropped("client-003").build();
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, assertThrows(FedgeException.class, () -> c.reveal(both)).code());
        SecAggUnmask honest = SecAggUnmask.newBuilder().setRound(7).addAllSurvivors(all).build();
        SecAggReveal first = c.reveal(honest);
        assertEquals(5, first.getSharesCount());
        assertTrue(first.getSharesList().stream().allMatch(SecAggRevealedShare::getSelfSeed));
        // asked again, now told some dropped, it refuses: that would hand over both secrets of a neighbour
        SecAggUnmask second = SecAggUnmask.newBuilder().setRound(7).addAllSurvivors(all.subList(0, 4))
                .addAllDropped(all.subList(4, 6)).build();
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, assertThrows(FedgeException.class, () -> c.reveal(second)).code());
    }

    @Test
    void aRosterWithAThresholdOfHalfTheNeighboursOrLessIsRefused() {
        SecAggTestRound r = new SecAggTestRound(5, 32, 13);
        for (Map.Entry<String, SecAggClient> e : r.clients.entrySet()) {
            r.aggregator.acceptKeys(e.getKey(), e.getValue().advertise());
        }
        SecAggRoster honest = r.aggregator.closeKeys(NOBODY_GONE).get("client-000");
        SecAggRoster weak = honest.toBuilder().setThreshold(honest.getPeersCount() / 2).build();
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED,
                assertThrows(FedgeException.class, () -> r.clients.get("client-000").share(weak)).code());
    }

    @Test
    void aTamperedShareIsRefusedAndAWrongRevealIsOutvoted() {
        SecAggTestRound r = new SecAggTestRound(5, 32, 14);
        for (Map.Entry<String, SecAggClient> e : r.clients.entrySet()) {
            r.aggregator.acceptKeys(e.getKey(), e.getValue().advertise());
        }
        Map<String, SecAggRoster> rosters = r.aggregator.closeKeys(NOBODY_GONE);
        for (Map.Entry<String, SecAggRoster> e : rosters.entrySet()) {
            r.aggregator.acceptShares(e.getKey(), r.clients.get(e.getKey()).share(e.getValue()));
        }
        Map<String, SecAggShares> forwarded = r.aggregator.closeShares(NOBODY_GONE);
        SecAggShares toZero = forwarded.get("client-000");
        SecAggSealedShare first = toZero.getShares(0);
        byte[] flipped = first.getCiphertext().toByteArray();
        flipped[flipped.length - 1] ^= 1;
        SecAggShares tampered = toZero.toBuilder()
                .setShares(0, first.toBuilder().setCiphertext(ByteString.copyFrom(flipped))).build();
        assertEquals(ErrorCode.DECRYPTION_FAILED,
                assertThrows(FedgeException.class, () -> r.clients.get("client-000").receive(tampered)).code());

        // a fresh round where one survivor lies about a share: of the 4 shares of that seed, the 3
        // others rebuild it (a subset search: too few shares to correct by decoding or to tell whose
        // share was wrong), and the round publishes the exact mean
        SecAggTestRound s = new SecAggTestRound(5, 32, 15);
        Set<String> committed = s.commit(Set.of());
        s.upload(committed, Set.of());
        SecAggAggregator.Result result = s.unmask(Map.of("client-001", reveal -> {
            SecAggRevealedShare sh = reveal.getShares(0);
            byte[] y = sh.getY().toByteArray();
            y[40] ^= 1;
            return reveal.toBuilder().setShares(0, sh.toBuilder().setY(ByteString.copyFrom(y))).build();
        }));
        assertWithin(s.plainMean(committed), result.meanDelta(), result.errorBound());
        assertTrue(result.dishonestHolders().isEmpty());
    }

    @Test
    void withCertificatesACoordinatorCannotSubstituteKeys() {
        io.fedge.comm.tls.CertificateAuthority ca = io.fedge.comm.tls.CertificateAuthority.create("test-ca",
                java.time.Duration.ofDays(1), java.time.Clock.systemUTC());
        MaskedWords words = MaskedWords.forRound(32, 1.0, 100, 5);
        List<String> ids = List.of("client-000", "client-001", "client-002", "client-003", "client-004");
        SecureRandom sr = new SecureRandom();
        Map<String, SecAggClient> clients = new LinkedHashMap<>();
        for (String id : ids) {
            clients.put(id, new SecAggClient(id, 7, words, sr,
                    new SecAggIdentity(ca.issueClient(id, java.time.Duration.ofDays(1)), ca.certificate())));
        }
        SecAggAggregator aggregator = new SecAggAggregator(7, ids, words, PARAMS, 0, 0.5, new Random(1));
        for (Map.Entry<String, SecAggClient> e : clients.entrySet()) {
            aggregator.acceptKeys(e.getKey(), e.getValue().advertise());
        }
        Map<String, SecAggRoster> rosters = aggregator.closeKeys(NOBODY_GONE);
        SecAggRoster honest = rosters.get("client-000");
        int victim = 0;
        while (!honest.getPeers(victim).getClientId().equals("client-003")) {
            victim++;
        }
        // the coordinator swaps in a mask key of its own for client-003
        io.fedge.comm.proto.SecAggPeer real = honest.getPeers(victim);
        SecAggRoster forgedKey = honest.toBuilder().setPeers(victim, real.toBuilder().setMaskPublicKey(
                com.google.protobuf.ByteString.copyFrom(io.fedge.comm.crypto.UpdateSealer.newKeyPair().getPublic().getEncoded())))
                .build();
        // ... or presents client-001's signed keys as client-003's
        io.fedge.comm.proto.SecAggPeer other = honest.getPeersList().stream()
                .filter(p -> p.getClientId().equals("client-001")).findFirst().orElseThrow();
        SecAggRoster borrowed = honest.toBuilder().setPeers(victim, other.toBuilder().setClientId("client-003")
                .setIndex(real.getIndex())).build();
        SecAggRoster unsigned = honest.toBuilder().setPeers(victim, real.toBuilder().clearSignature()).build();
        for (SecAggRoster bad : List.of(forgedKey, borrowed, unsigned)) {
            SecAggClient fresh = new SecAggClient("client-000", 7, words, sr,
                    new SecAggIdentity(ca.issueClient("client-000", java.time.Duration.ofDays(1)), ca.certificate()));
            assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED,
                    assertThrows(FedgeException.class, () -> fresh.share(bad)).code());
        }
        // the honest roster goes through, and the round sums correctly
        for (Map.Entry<String, SecAggRoster> e : rosters.entrySet()) {
            aggregator.acceptShares(e.getKey(), clients.get(e.getKey()).share(e.getValue()));
        }
        Map<String, SecAggShares> forwarded = aggregator.closeShares(NOBODY_GONE);
        float[] delta = new float[PARAMS];
        java.util.Arrays.fill(delta, 0.25f);
        for (Map.Entry<String, SecAggShares> e : forwarded.entrySet()) {
            SecAggClient c = clients.get(e.getKey());
            c.receive(e.getValue());
            aggregator.fold(e.getKey(), 10, c.mask(delta, 10, PER_CHUNK), PER_CHUNK);
        }
        SecAggUnmask request = aggregator.closeMasked();
        assertTrue(aggregator.authenticated());
        // without the consistency check's signatures, nobody reveals anything
        SecAggUnmask unsignedRequest = request;
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED,
                assertThrows(FedgeException.class, () -> clients.get("client-002").reveal(unsignedRequest)).code());
        for (String id : request.getSurvivorsList()) {
            aggregator.acceptListSignature(id, clients.get(id).signLists(request.toBuilder().setConsistencyCheck(true).build()));
        }
        // a client signs one pair of lists per round
        SecAggUnmask otherLists = request.toBuilder().clearSurvivors().addAllSurvivors(request.getSurvivorsList().subList(0, 4))
                .addDropped(request.getSurvivors(4)).build();
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED,
                assertThrows(FedgeException.class, () -> clients.get("client-000").signLists(otherLists)).code());
        SecAggUnmask signed = aggregator.signedRequest(request);
        // too few signatures, or signatures over other lists, are refused
        SecAggUnmask thin = signed.toBuilder().clearSignatures().addAllSignatures(signed.getSignaturesList().subList(0, 2))
                .build();
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED,
                assertThrows(FedgeException.class, () -> clients.get("client-001").reveal(thin)).code());
        SecAggUnmask mislabelled = signed.toBuilder().setSignatures(0, signed.getSignatures(0).toBuilder()
                .setClientId(signed.getSignatures(1).getClientId())).setSignatures(1, signed.getSignatures(1).toBuilder()
                .setSignature(signed.getSignatures(0).getSignature())).build();
        for (String id : request.getSurvivorsList()) {
            aggregator.acceptReveal(id, clients.get(id).reveal(signed));
        }
        assertEquals(0.25f, aggregator.finish().meanDelta()[123], 1e-6f);
        // (a signature moved to another signer's name does not count: checked on a fresh identity)
        SecAggIdentity checker = new SecAggIdentity(ca.issueClient("client-009", java.time.Duration.ofDays(1)),
                ca.certificate());
        io.fedge.comm.proto.SecAggListSignature moved = mislabelled.getSignatures(1);
        assertTrue(!checker.listSignedBy(7, request.getSurvivorsList(), request.getDroppedList(), moved.getClientId(),
                moved.getSignature(), moved.getCertificate()));
    }

    @Test
    void theNeighbourGraphIsRegularAndSymmetric() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ids.add("c" + i);
        }
        NeighbourGraph g = NeighbourGraph.harary(ids, NeighbourGraph.defaultDegree(100), new Random(1));
        assertEquals(28, g.degree());
        for (String id : ids) {
            assertEquals(28, g.neighbours(id).size());
            for (String n : g.neighbours(id)) {
                assertTrue(g.neighbours(n).contains(id), n + " does not list " + id);
            }
        }
        assertEquals(9, NeighbourGraph.defaultDegree(10), "small rounds are complete graphs");
        assertEquals(15, NeighbourGraph.threshold(28, 0.5));
    }

    private static byte[] concat(List<byte[]> chunks) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        chunks.forEach(out::writeBytes);
        return out.toByteArray();
    }

    private static double pearson(double[] a, float[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= a.length;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
