package io.fedge.comm.secagg;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static io.fedge.comm.secagg.ShamirSharing.PRIME;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rebuilding a Shamir secret from shares of which some are wrong, against shares computed here
 * by evaluating a known polynomial (Horner, in BigInteger) and corrupting chosen ones.
 */
class ShamirDecoderTest {
    private final Random random = new Random(42);

    /** A random polynomial of degree below {@code t} with constant term {@code secret}, lowest coefficient first. */
    private BigInteger[] polynomial(BigInteger secret, int t) {
        BigInteger[] c = new BigInteger[t];
        c[0] = secret;
        for (int i = 1; i < t; i++) {
            c[i] = new BigInteger(530, random).mod(PRIME);
        }
        return c;
    }

    private static List<ShamirSharing.Share> shares(BigInteger[] poly, int m) {
        List<ShamirSharing.Share> out = new ArrayList<>();
        for (int x = 1; x <= m; x++) {
            BigInteger y = BigInteger.ZERO;
            for (int i = poly.length - 1; i >= 0; i--) {
                y = y.multiply(BigInteger.valueOf(x)).add(poly[i]).mod(PRIME);
            }
            out.add(new ShamirSharing.Share(x, y));
        }
        return out;
    }

    /** {@code shares} with those at the given positions moved off the polynomial by a random amount. */
    private List<ShamirSharing.Share> corrupt(List<ShamirSharing.Share> shares, int... positions) {
        List<ShamirSharing.Share> out = new ArrayList<>(shares);
        for (int p : positions) {
            BigInteger offset = new BigInteger(520, random).add(BigInteger.ONE);
            out.set(p, new ShamirSharing.Share(shares.get(p).x(), shares.get(p).y().add(offset).mod(PRIME)));
        }
        return out;
    }

    private byte[] secret() {
        byte[] s = new byte[32];
        random.nextBytes(s);
        return s;
    }

    private static Set<Integer> xs(List<ShamirSharing.Share> shares) {
        Set<Integer> out = new TreeSet<>();
        shares.forEach(s -> out.add(s.x()));
        return out;
    }

    @Test
    void correctsUpToHalfTheSpareSharesAndNamesExactlyThose() {
        byte[] secret = secret();
        List<ShamirSharing.Share> right = shares(polynomial(new BigInteger(1, secret), 5), 9);
        Predicate<byte[]> recognise = s -> Arrays.equals(s, secret);
        for (int[] wrong : new int[][] {{}, {0}, {8}, {0, 4}, {3, 8}, {0, 1}}) {
            Optional<ShamirDecoder.Decoded> d = ShamirDecoder.decode(corrupt(right, wrong), 5, 32, recognise);
            assertTrue(d.isPresent(), Arrays.toString(wrong));
            assertArrayEquals(secret, d.get().secret());
            Set<Integer> expected = new TreeSet<>();
            for (int p : wrong) {
                expected.add(p + 1);
            }
            assertEquals(expected, xs(d.get().wrong()), Arrays.toString(wrong));
            assertEquals(0, d.get().unattributed());
        }
    }

    @Test
    void gaoFindsThePolynomialWithinItsRadiusAndNothingBeyond() {
        BigInteger[] poly = polynomial(BigInteger.valueOf(12345), 15);
        List<ShamirSharing.Share> right = shares(poly, 28);
        // (28 - 15) / 2 = 6 wrong shares are corrected, anywhere
        assertArrayEquals(poly, ShamirDecoder.gao(corrupt(right, 0, 5, 9, 14, 20, 27), 15));
        assertArrayEquals(poly, ShamirDecoder.gao(right, 15));
        assertNull(ShamirDecoder.gao(corrupt(right, 0, 5, 9, 14, 20, 27, 3), 15));
    }

    @Test
    void beyondTheRadiusOnlySmallSetsAreSearchedAndThenWhole() {
        // a 66-byte secret, so that every candidate fits and reaches the recognizer, which counts them
        byte[] secret = ShamirSharing.toBytes(new BigInteger(1, secret()), 66);
        AtomicInteger calls = new AtomicInteger();
        Predicate<byte[]> recognise = s -> {
            calls.incrementAndGet();
            return Arrays.equals(s, secret);
        };
        List<ShamirSharing.Share> large = shares(polynomial(new BigInteger(1, secret), 15), 28);
        // 6 wrong (the radius): decoded and named
        Optional<ShamirDecoder.Decoded> six = ShamirDecoder.decode(corrupt(large, 0, 1, 2, 3, 4, 5), 15, 66, recognise);
        assertEquals(Set.of(1, 2, 3, 4, 5, 6), xs(six.orElseThrow().wrong()));
        assertEquals(2, calls.get(), "the first t shares, then Gao's decoder");
        // 7 wrong: 21 right shares would do, but C(28, 15) = 37,442,160 subsets are not searched
        calls.set(0);
        assertTrue(ShamirDecoder.decode(corrupt(large, 0, 1, 2, 3, 4, 5, 6), 15, 66, recognise).isEmpty());
        assertEquals(1, calls.get(), "the first t shares only: Gao's decoder finds no candidate");
        // 10 shares, threshold 6: C(10, 6) = 210 subsets; 3 wrong are beyond the radius 2, and the
        // search finds the one subset of 6 right shares whatever the wrong ones are
        List<ShamirSharing.Share> small = shares(polynomial(new BigInteger(1, secret), 6), 10);
        calls.set(0);
        ShamirDecoder.Decoded d = ShamirDecoder.decode(corrupt(small, 0, 4, 9), 6, 66, recognise).orElseThrow();
        assertArrayEquals(secret, d.secret());
        assertTrue(calls.get() <= 210, calls.get() + " candidates");
        assertEquals(3, d.unattributed(), "7 agreeing of 10 are too few to prove whose shares were wrong");
        assertTrue(ShamirDecoder.fewSubsets(10, 6));
        assertTrue(ShamirDecoder.fewSubsets(9, 5));
        assertTrue(!ShamirDecoder.fewSubsets(12, 7), "C(12, 7) = 792");
        assertTrue(ShamirDecoder.fewSubsets(256, 255) && !ShamirDecoder.fewSubsets(257, 255), "C(257, 2) = 32,896");
    }

    @Test
    void smallSetsAreSearchedWhole() {
        byte[] secret = secret();
        List<ShamirSharing.Share> right = shares(polynomial(new BigInteger(1, secret), 3), 4);
        for (int p = 0; p < 4; p++) {
            ShamirDecoder.Decoded d = ShamirDecoder.decode(corrupt(right, p), 3, 32, s -> Arrays.equals(s, secret))
                    .orElseThrow();
            assertArrayEquals(secret, d.secret());
            // 3 of 4 agree: another polynomial through the wrong share and 2 right ones agrees with as many
            // shares, so whose share was wrong cannot be proved
            assertEquals(List.of(), d.wrong());
            assertEquals(1, d.unattributed());
        }
        assertTrue(ShamirDecoder.decode(corrupt(right, 0, 3), 3, 32, s -> Arrays.equals(s, secret)).isEmpty());
    }

    @Test
    void aConstantTermPastTheSecretsLengthIsNotTruncatedIntoAMatch() {
        byte[] secret = secret();
        // shares of 2^256 + secret: truncated to 32 bytes it would pass for the secret
        byte[] longer = new byte[33];
        longer[0] = 1;
        System.arraycopy(secret, 0, longer, 1, 32);
        List<ShamirSharing.Share> shares = ShamirSharing.split(longer, 4, 7, new java.security.SecureRandom());
        assertArrayEquals(secret, ShamirSharing.combine(shares.subList(0, 4), 32));
        assertTrue(ShamirDecoder.decode(shares, 4, 32, s -> Arrays.equals(s, secret)).isEmpty());
        assertEquals(BigInteger.ONE.shiftLeft(256).add(new BigInteger(1, secret)), ShamirSharing.constantTerm(shares));
    }

    @Test
    void interpolationGivesBackThePolynomial() {
        BigInteger[] poly = polynomial(BigInteger.TEN, 9);
        List<ShamirSharing.Share> s = shares(poly, 9);
        assertArrayEquals(poly, ShamirDecoder.interpolate(s));
        assertEquals(s.get(3).y(), ShamirDecoder.evaluate(poly, 4));
    }
}
