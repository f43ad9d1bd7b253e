package io.fedge.comm.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Shamir's t-of-n secret sharing over the prime field GF(2^521 - 1), for the 32-byte mask seeds of
 * secure aggregation: any {@code threshold} shares give the secret back, fewer give no information
 * about it. A secret is the constant term of a random polynomial of degree {@code threshold - 1};
 * share {@code x} is the polynomial's value at {@code x} (1, 2, ...).
 *
 * <p>Stateless and thread-safe.
 */
public final class ShamirSharing {
    /** The field's modulus, the Mersenne prime 2^521 - 1: larger than any 32-byte secret. */
    public static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);

    /** One share: the point {@code x} and the polynomial's value there. */
    public record Share(int x, BigInteger y) {
        public Share {
            if (x <= 0) {
                throw new IllegalArgumentException("share x must be positive: " + x);
            }
            Objects.requireNonNull(y, "y");
            if (y.signum() < 0 || y.compareTo(PRIME) >= 0) {
                throw new IllegalArgumentException("share value out of the field");
            }
        }
    }

    private ShamirSharing() {
    }

    /**
     * Splits {@code secret} (at most 64 bytes, read as an unsigned big-endian number) into shares
     * for x = 1..{@code shares}.
     */
    public static List<Share> split(byte[] secret, int threshold, int shares, SecureRandom random) {
        int[] xs = new int[shares];
        for (int i = 0; i < shares; i++) {
            xs[i] = i + 1;
        }
        return split(secret, threshold, xs, random);
    }

    /**
     * Splits {@code secret} (at most 64 bytes, read as an unsigned big-endian number) into one share
     * for each of the distinct positive points {@code xs}.
     */
    public static List<Share> split(byte[] secret, int threshold, int[] xs, SecureRandom random) {
        if (threshold < 1 || threshold > xs.length) {
            throw new IllegalArgumentException("need 1 <= threshold <= shares: " + threshold + ", " + xs.length);
        }
        if (secret.length > 64) {
            throw new IllegalArgumentException("secrets up to 64 bytes: " + secret.length);
        }
        Set<Integer> distinct = new HashSet<>();
        for (int x : xs) {
            if (x <= 0 || !distinct.add(x)) {
                throw new IllegalArgumentException("share points must be distinct and positive: " + x);
            }
        }
        BigInteger[] coefficients = new BigInteger[threshold];
        coefficients[0] = new BigInteger(1, secret);
        for (int i = 1; i < threshold; i++) {
            coefficients[i] = new BigInteger(PRIME.bitLength() + 64, random).mod(PRIME);
        }
        List<Share> out = new ArrayList<>(xs.length);
        for (int x : xs) {
            BigInteger bx = BigInteger.valueOf(x);
            BigInteger y = BigInteger.ZERO;
            for (int i = threshold - 1; i >= 0; i--) { // Horner
                y = y.multiply(bx).add(coefficients[i]).mod(PRIME);
            }
            out.add(new Share(x, y));
        }
        return out;
    }

    /**
     * The secret from {@code threshold} or more distinct shares, as {@code length} bytes
     * (Lagrange interpolation at 0, truncated to its low {@code length} bytes). With fewer shares
     * than the threshold the result is a meaningless field element.
     *
     * @throws IllegalArgumentException if two shares have the same x or none is given
     */
    public static byte[] combine(List<Share> shares, int length) {
        return toBytes(constantTerm(shares), length);
    }

    /**
     * The constant term of the polynomial of degree below {@code shares.size()} through the
     * shares: the secret if they are right and at least the threshold.
     *
     * @throws IllegalArgumentException if two shares have the same x or none is given
     */
    public static BigInteger constantTerm(List<Share> shares) {
        if (shares.isEmpty()) {
            throw new IllegalArgumentException("no shares");
        }
        Set<Integer> xs = new HashSet<>();
        for (Share s : shares) {
            if (!xs.add(s.x())) {
                throw new IllegalArgumentException("two shares at x = " + s.x());
            }
        }
        BigInteger secret = BigInteger.ZERO;
        for (Share i : shares) {
            BigInteger num = BigInteger.ONE;
            BigInteger den = BigInteger.ONE;
            for (Share j : shares) {
                if (j != i) {
                    num = num.multiply(BigInteger.valueOf(-j.x())).mod(PRIME);
                    den = den.multiply(BigInteger.valueOf(i.x() - j.x())).mod(PRIME);
                }
            }
            secret = secret.add(i.y().multiply(num).multiply(den.modInverse(PRIME))).mod(PRIME);
        }
        return secret;
    }

    /** The low {@code length} bytes of {@code value}, big-endian. */
    static byte[] toBytes(BigInteger value, int length) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[length];
        int copy = Math.min(length, raw.length);
        System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
        return out;
    }
}
