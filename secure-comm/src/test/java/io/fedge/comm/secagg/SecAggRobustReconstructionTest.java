package io.fedge.comm.secagg;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRevealedShare;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

import static io.fedge.comm.secagg.SecAggTestRound.NOBODY_GONE;
import static io.fedge.comm.secagg.SecAggTestRound.PARAMS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Survivors that reveal wrong shares: the aggregator rebuilds every secret from shares that
 * check out against the owner's commitment or public key, names the holders whose shares do not
 * lie on the rebuilt polynomial, and publishes exactly the mean an honest round publishes. In a
 * round of 10 (the complete graph: 9 neighbours, threshold 5) each secret has 9 shares, 4 more
 * than it needs: up to (9 - 5) / 2 = 2 wrong ones are corrected and attributed.
 */
class SecAggRobustReconstructionTest {
    /**
     * A dishonest survivor: every share it reveals is off by a random amount (offsets of 1, say,
     * can cancel in the Lagrange sum, so that a subset with wrong shares still rebuilds the right
     * secret: harmless, but not what these tests are after).
     */
    private static final UnaryOperator<SecAggReveal> LIE = reveal -> {
        Random random = new Random(reveal.getShares(0).getY().hashCode());
        SecAggReveal.Builder b = reveal.toBuilder();
        for (int i = 0; i < b.getSharesCount(); i++) {
            SecAggRevealedShare s = b.getShares(i);
            BigInteger y = new BigInteger(1, s.getY().toByteArray())
                    .add(new BigInteger(520, random).add(BigInteger.ONE)).mod(ShamirSharing.PRIME);
            b.setShares(i, s.toBuilder().setY(ByteString.copyFrom(SecAggCrypto.fieldBytes(y))));
        }
        return b.build();
    };

    private static Map<String, UnaryOperator<SecAggReveal>> liars(String... ids) {
        Map<String, UnaryOperator<SecAggReveal>> out = new HashMap<>();
        for (String id : ids) {
            out.put(id, LIE);
        }
        return out;
    }

    /** The mean of the survivors' fixed-point words, summed and decoded as the aggregator must, without masks. */
    private static float[] fixedPointMean(SecAggTestRound r, Set<String> survivors) {
        long[] sum = new long[PARAMS];
        long[] words = new long[PARAMS];
        long total = 0;
        for (String id : survivors) {
            long w = r.words.weight(r.examples.get(id));
            total += w;
            r.words.encode(r.deltas.get(id), 0, PARAMS, w, words);
            for (int p = 0; p < PARAMS; p++) {
                sum[p] += words[p];
            }
        }
        float[] mean = new float[PARAMS];
        for (int p = 0; p < PARAMS; p++) {
            mean[p] = (float) r.words.decodeMean(sum[p], total);
        }
        return mean;
    }

    /** Runs a round of 10 with {@code dropped} leaving after committing and {@code liars} lying; returns it unmasked. */
    private static SecAggAggregator.Result run(long seed, Set<String> dropped, String... liars) {
        SecAggTestRound r = new SecAggTestRound(10, 32, seed);
        Set<String> committed = r.commit(Set.of());
        r.upload(committed, dropped);
        SecAggAggregator.Result result = r.unmask(liars(liars));
        Set<String> survivors = new TreeSet<>(committed);
        survivors.removeAll(dropped);
        assertArrayEquals(fixedPointMean(r, survivors), result.meanDelta(), "the exact fixed-point mean");
        return result;
    }

    @Test
    void oneLyingHolderAmongTenChangesNothingBitForBit() {
        SecAggAggregator.Result honest = run(31, Set.of());
        SecAggAggregator.Result lied = run(31, Set.of(), "client-003");
        assertArrayEquals(honest.meanDelta(), lied.meanDelta());
        assertEquals(honest.totalWeight(), lied.totalWeight());
        assertEquals(Set.of(), honest.dishonestHolders());
        assertEquals(Set.of("client-003"), lied.dishonestHolders());
    }

    @Test
    void asManyLyingHoldersAsTheSpareSharesCorrectStillGiveTheExactMean() {
        SecAggAggregator.Result honest = run(32, Set.of());
        SecAggAggregator.Result lied = run(32, Set.of(), "client-000", "client-006");
        assertArrayEquals(honest.meanDelta(), lied.meanDelta());
        assertEquals(Set.of("client-000", "client-006"), lied.dishonestHolders());
    }

    @Test
    void aLyingHolderIsCorrectedOnADroppedClientsMaskKeyToo() {
        // 9 survivors: a survivor's seed has 8 shares (1 wrong one corrected), the dropped client's key 9
        SecAggAggregator.Result honest = run(33, Set.of("client-005"));
        SecAggAggregator.Result lied = run(33, Set.of("client-005"), "client-001");
        assertArrayEquals(honest.meanDelta(), lied.meanDelta());
        assertEquals(9, lied.survivors());
        assertEquals(Set.of("client-001"), lied.dishonestHolders());
    }

    @Test
    void threeLiarsAreBeyondCorrectionButASearchOfSubsetsStillFindsHonestOnes() {
        // 3 wrong of 9 shares: more than the 2 decoding corrects, but 6 honest ones hold a threshold of 5
        SecAggAggregator.Result honest = run(34, Set.of());
        SecAggAggregator.Result lied = run(34, Set.of(), "client-001", "client-004", "client-008");
        assertArrayEquals(honest.meanDelta(), lied.meanDelta());
        // each liar's own seed has only the 2 other liars among its holders: decoded, and they are named
        assertEquals(Set.of("client-001", "client-004", "client-008"), lied.dishonestHolders());
    }

    @Test
    void tooManyLyingHoldersAbortTheRoundBeforeAnyMaskIsRemoved() {
        SecAggTestRound r = new SecAggTestRound(10, 32, 35);
        Set<String> committed = r.commit(Set.of());
        r.upload(committed, Set.of());
        // five liars: an honest client's secret has 4 honest shares, fewer than the threshold 5
        FedgeException e = assertThrows(FedgeException.class, () -> r.unmask(liars("client-000", "client-002",
                "client-004", "client-006", "client-008")));
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, e.code());
        assertTrue(e.getMessage().contains("client-001"), e.getMessage());
        FedgeException late = assertThrows(FedgeException.class, r.aggregator::finish);
        assertEquals(ErrorCode.SECURE_AGGREGATION_ABORTED, late.code());
    }

    @Test
    void revealsWaitForEveryLiveSurvivorWhenTheFirstSharesDoNotRebuild() {
        for (boolean lying : new boolean[] {false, true}) {
            SecAggTestRound r = new SecAggTestRound(10, 32, 36);
            Set<String> committed = r.commit(Set.of());
            r.upload(committed, Set.of());
            SecAggUnmask request = r.aggregator.closeMasked();
            List<String> survivors = request.getSurvivorsList();
            for (int i = 0; i < survivors.size(); i++) {
                String id = survivors.get(i);
                SecAggReveal reveal = r.clients.get(id).reveal(request);
                r.aggregator.acceptReveal(id, lying && i == 0 ? LIE.apply(reveal) : reveal);
                // six reveals give every secret 5 shares: enough when they are right
                assertEquals(lying ? i == survivors.size() - 1 : i >= 5, r.aggregator.revealsComplete(NOBODY_GONE),
                        (lying ? "with" : "without") + " a liar, after " + (i + 1) + " reveals");
                if (lying && i == survivors.size() - 2) {
                    String last = survivors.get(i + 1);
                    assertTrue(r.aggregator.revealsComplete(last::equals), "nobody left to wait for");
                }
            }
            assertArrayEquals(fixedPointMean(r, committed), r.aggregator.finish().meanDelta());
        }
    }
}
