package io.fedge.comm.secagg;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which rounds fixed-point words can carry. A round of {@code n} clients weighting values in
 * {@code +-clip} by at most {@code cap} examples keeps at least 10 fraction bits, and one bit of
 * headroom for rounding, exactly when {@code n * cap * clip < 2^(wordBits - 2 - 10)}: the
 * boundaries below are that inequality worked out by hand.
 */
class MaskedWordsTest {
    @Test
    void inThirtyTwoBitsTheLargestCapIsAcceptedAndOneMoreAsksForSixtyFour() {
        // 2^20 / 100 = 10485.76
        assertEquals(10_485, MaskedWords.maxWeightCap(32, 1.0, 100));
        assertEquals(10, MaskedWords.forRound(32, 1.0, 10_485, 100).fractionBits());
        // not impossible, only too much for 32 bits: the coordinator falls back to 64 on this exception
        assertThrows(IllegalArgumentException.class, () -> MaskedWords.forRound(32, 1.0, 10_486, 100));
        // 100 * 10486 < 2^21: 64 - 2 - 21 = 41 fraction bits are left, 24 are used
        assertEquals(24, MaskedWords.forRound(64, 1.0, 10_486, 100).fractionBits());
    }

    @Test
    void inSixtyFourBitsTheLargestCapIsAcceptedAndOneMoreIsRefusedAsImpossible() {
        // 2^52 / 10 = 450,359,962,737,049.6
        long largest = 450_359_962_737_049L;
        assertEquals(largest, MaskedWords.maxWeightCap(64, 1.0, 10));
        assertEquals(10, MaskedWords.forRound(64, 1.0, largest, 10).fractionBits());
        FedgeException e = assertThrows(FedgeException.class, () -> MaskedWords.forRound(64, 1.0, largest + 1, 10));
        assertEquals(ErrorCode.LIMIT_EXCEEDED, e.code());
        assertTrue(e.getMessage().contains(String.valueOf(largest)), e.getMessage());
        // and asked for 32 bits, the same round is refused the same way: no word size can carry it
        assertEquals(ErrorCode.LIMIT_EXCEEDED,
                assertThrows(FedgeException.class, () -> MaskedWords.forRound(32, 1.0, largest + 1, 10)).code());
    }

    @Test
    void weightCapsNearTwoToTheSixtyAreRefusedWithAReasonNotAnIllegalArgument() {
        FedgeException e = assertThrows(FedgeException.class, () -> MaskedWords.forRound(64, 1.0, 1L << 60, 10));
        assertEquals(ErrorCode.LIMIT_EXCEEDED, e.code());
        assertTrue(e.getMessage().contains("10 clients") && e.getMessage().contains(String.valueOf(1L << 60)),
                e.getMessage());
        assertEquals(ErrorCode.LIMIT_EXCEEDED,
                assertThrows(FedgeException.class, () -> MaskedWords.forRound(64, 1.0, Long.MAX_VALUE, 3)).code());
    }

    @Test
    void theBoundIsStrictWhenTheQuotientIsWhole() {
        // 16 clients, clip 0.5: 2^52 / 8 = 2^49 exactly, which would reach 2^52
        assertEquals((1L << 49) - 1, MaskedWords.maxWeightCap(64, 0.5, 16));
        assertEquals(10, MaskedWords.forRound(64, 0.5, (1L << 49) - 1, 16).fractionBits());
        assertThrows(FedgeException.class, () -> MaskedWords.forRound(64, 0.5, 1L << 49, 16));
        // 32 bits, 4 clients, clip 2: 2^20 / 8 = 131072
        assertEquals(131_071, MaskedWords.maxWeightCap(32, 2.0, 4));
        assertThrows(IllegalArgumentException.class, () -> MaskedWords.forRound(32, 2.0, 131_072, 4));
    }

    @Test
    void fractionBitsAreTheMostTheRoundLeaves() {
        // 100 * 600 = 60,000 < 2^16: 32 - 2 - 16 = 14 (docs/secure-aggregation.md)
        assertEquals(14, MaskedWords.forRound(32, 1.0, 600, 100).fractionBits());
        // 3 * 1 * 0.25 < 1: no integer bits, 30 are left, at most 24 are used
        assertEquals(24, MaskedWords.forRound(32, 0.25, 1, 3).fractionBits());
        // 65,536 = 2^16 exactly needs 17 integer bits: 13
        assertEquals(13, MaskedWords.forRound(32, 1.0, 1 << 12, 16).fractionBits());
    }

    @Test
    void capsTooSmallForEvenOneExampleOrLargerThanALongAreReportedAsSuch() {
        // 2^20 clients of one example each already reach 2^20
        assertEquals(0, MaskedWords.maxWeightCap(32, 1.0, 1 << 20));
        assertEquals(1, MaskedWords.maxWeightCap(32, 1.0, (1 << 20) - 1));
        assertEquals(Long.MAX_VALUE, MaskedWords.maxWeightCap(64, 1e-30, 3));
        assertThrows(IllegalArgumentException.class, () -> MaskedWords.maxWeightCap(48, 1.0, 3));
        assertThrows(IllegalArgumentException.class, () -> MaskedWords.maxWeightCap(32, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> MaskedWords.maxWeightCap(32, 1.0, 0));
    }
}
