package io.fedge.comm.secagg;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import static io.fedge.comm.secagg.ShamirSharing.PRIME;

/**
 * Rebuilds a Shamir secret from shares of which some may be wrong, given a way to recognise the
 * secret (its owner's commitment or public key). The shares are a Reed-Solomon codeword: {@code m}
 * values of a polynomial of degree below the threshold {@code t}, so up to {@code (m - t) / 2}
 * wrong ones can be corrected and told apart from the right ones. In order, at most:
 * <ol>
 *   <li>the first {@code t} shares, interpolated: one interpolation, what an honest round costs;</li>
 *   <li>Gao's decoder (interpolation through all {@code m}, a partial extended Euclid against
 *       {@code prod (X - x_i)}, one division): {@code O(m^2)} field operations, corrects up to
 *       {@code (m - t) / 2} wrong shares;</li>
 *   <li>when there are at most {@link #MAX_SUBSETS} subsets of {@code t} shares, every one of them:
 *       a small secret (9 shares, threshold 5: 126 subsets) survives as long as any {@code t} of
 *       its shares are right. Larger ones are not searched: the first few hundred subsets of
 *       thousands would almost all hold a wrong share that decoding could not find.</li>
 * </ol>
 * A candidate counts only if the recognizer accepts its constant term, which must also fit in the
 * secret's length (no truncation: a wrong share cannot shift the secret by a multiple of
 * 2^(8 length)). The shares off the accepted polynomial are reported as wrong only when that
 * polynomial passes through at least {@code (m + t) / 2} shares: any two such polynomials agree on
 * {@code t} points, so the polynomial is the owner's as long as at most {@code (m - t) / 2} shares
 * are wrong, and no honest holder is blamed.
 *
 * <p>Stateless and thread-safe.
 */
final class ShamirDecoder {
    /** The most subsets of {@code t} shares searched (all or none of them), the first {@code t} shares included. */
    static final int MAX_SUBSETS = 256;

    /**
     * A rebuilt secret.
     *
     * @param secret the secret, {@code length} bytes
     * @param wrong the shares that do not lie on the rebuilt polynomial, when they can be told
     *     apart (see the class comment); otherwise empty
     * @param unattributed how many shares were off the polynomial but could not be blamed
     */
    record Decoded(byte[] secret, List<ShamirSharing.Share> wrong, int unattributed) {
    }

    private ShamirDecoder() {
    }

    /**
     * Whether the first {@code threshold} shares rebuild a secret {@code recognise} accepts: the
     * cheap check that lets a round stop waiting for more shares.
     */
    static boolean firstSharesRebuild(List<ShamirSharing.Share> shares, int threshold, int length,
                                      Predicate<byte[]> recognise) {
        return shares.size() >= threshold
                && accepted(ShamirSharing.constantTerm(shares.subList(0, threshold)), length, recognise) != null;
    }

    /**
     * The secret of {@code shares} (distinct points, at least {@code threshold}) that
     * {@code recognise} accepts, or empty if none of the candidates above gives one.
     */
    static Optional<Decoded> decode(List<ShamirSharing.Share> shares, int threshold, int length,
                                    Predicate<byte[]> recognise) {
        int m = shares.size();
        if (m < threshold || threshold < 1) {
            return Optional.empty();
        }
        BigInteger[] first = interpolate(shares.subList(0, threshold));
        byte[] secret = accepted(first[0], length, recognise);
        if (secret != null && attributable(first, shares, threshold)) {
            return Optional.of(decoded(secret, first, shares, threshold));
        }
        BigInteger[] gao = gao(shares, threshold);
        if (gao != null) {
            byte[] s = accepted(gao[0], length, recognise);
            if (s != null && attributable(gao, shares, threshold)) {
                return Optional.of(decoded(s, gao, shares, threshold));
            }
        }
        if (secret != null) {
            return Optional.of(decoded(secret, first, shares, threshold));
        }
        if (!fewSubsets(m, threshold)) {
            return Optional.empty();
        }
        int[] pick = new int[threshold];
        for (int i = 0; i < threshold; i++) {
            pick[i] = i;
        }
        while (next(pick, m)) {
            List<ShamirSharing.Share> subset = new ArrayList<>(threshold);
            for (int i : pick) {
                subset.add(shares.get(i));
            }
            byte[] s = accepted(ShamirSharing.constantTerm(subset), length, recognise);
            if (s != null) {
                return Optional.of(decoded(s, interpolate(subset), shares, threshold));
            }
        }
        return Optional.empty();
    }

    /** Whether {@code C(m, t) <= MAX_SUBSETS}. */
    static boolean fewSubsets(int m, int t) {
        long c = 1;
        for (int i = 1; i <= Math.min(t, m - t); i++) {
            c = c * (m - Math.min(t, m - t) + i) / i; // exact: a product of i consecutive integers over i!
            if (c > MAX_SUBSETS) {
                return false;
            }
        }
        return true;
    }

    /** The secret's bytes if {@code c} fits in {@code length} bytes and is recognised, else null. */
    private static byte[] accepted(BigInteger c, int length, Predicate<byte[]> recognise) {
        if (c.bitLength() > 8 * length) {
            return null;
        }
        byte[] secret = ShamirSharing.toBytes(c, length);
        return recognise.test(secret) ? secret : null;
    }

    private static int agreeing(BigInteger[] poly, List<ShamirSharing.Share> shares) {
        int n = 0;
        for (ShamirSharing.Share s : shares) {
            if (evaluate(poly, s.x()).equals(s.y())) {
                n++;
            }
        }
        return n;
    }

    private static boolean attributable(BigInteger[] poly, List<ShamirSharing.Share> shares, int threshold) {
        return 2 * agreeing(poly, shares) >= shares.size() + threshold;
    }

    private static Decoded decoded(byte[] secret, BigInteger[] poly, List<ShamirSharing.Share> shares, int threshold) {
        List<ShamirSharing.Share> off = new ArrayList<>();
        for (ShamirSharing.Share s : shares) {
            if (!evaluate(poly, s.x()).equals(s.y())) {
                off.add(s);
            }
        }
        boolean blame = 2 * (shares.size() - off.size()) >= shares.size() + threshold;
        return new Decoded(secret, blame ? List.copyOf(off) : List.of(), blame ? 0 : off.size());
    }

    /** Advances {@code pick} to the next {@code pick.length}-subset of {@code 0..m-1} in lexicographic order; false after the last. */
    private static boolean next(int[] pick, int m) {
        int k = pick.length;
        int i = k - 1;
        while (i >= 0 && pick[i] == m - k + i) {
            i--;
        }
        if (i < 0) {
            return false;
        }
        pick[i]++;
        for (int j = i + 1; j < k; j++) {
            pick[j] = pick[j - 1] + 1;
        }
        return true;
    }

    // ---- polynomials over GF(PRIME), coefficients lowest first, no trailing zeros (zero is empty) ----

    private static BigInteger mod(BigInteger a) {
        return a.mod(PRIME);
    }

    static BigInteger evaluate(BigInteger[] poly, int x) {
        BigInteger bx = BigInteger.valueOf(x);
        BigInteger y = BigInteger.ZERO;
        for (int i = poly.length - 1; i >= 0; i--) {
            y = mod(y.multiply(bx).add(poly[i]));
        }
        return y;
    }

    /**
     * The polynomial of degree below {@code points.size()} through {@code points}, all
     * {@code points.size()} coefficients (Lagrange, {@code O(n^2)}, n inversions).
     */
    static BigInteger[] interpolate(List<ShamirSharing.Share> points) {
        int n = points.size();
        // master = prod (X - x_k), degree n
        BigInteger[] master = new BigInteger[n + 1];
        Arrays.fill(master, BigInteger.ZERO);
        master[0] = BigInteger.ONE;
        for (int k = 0; k < n; k++) {
            BigInteger neg = BigInteger.valueOf(-points.get(k).x());
            for (int i = k + 1; i >= 1; i--) {
                master[i] = mod(master[i - 1].add(neg.multiply(master[i])));
            }
            master[0] = mod(neg.multiply(master[0]));
        }
        BigInteger[] out = new BigInteger[n];
        Arrays.fill(out, BigInteger.ZERO);
        BigInteger[] basis = new BigInteger[n];
        for (int j = 0; j < n; j++) {
            int xj = points.get(j).x();
            // basis = master / (X - x_j), synthetic division from the top
            BigInteger carry = BigInteger.ZERO;
            for (int i = n; i >= 1; i--) {
                carry = mod(master[i].add(carry.multiply(BigInteger.valueOf(xj))));
                basis[i - 1] = carry;
            }
            BigInteger denominator = BigInteger.ONE;
            for (int k = 0; k < n; k++) {
                if (k != j) {
                    denominator = mod(denominator.multiply(BigInteger.valueOf(xj - points.get(k).x())));
                }
            }
            BigInteger scale = mod(points.get(j).y().multiply(denominator.modInverse(PRIME)));
            for (int i = 0; i < n; i++) {
                out[i] = mod(out[i].add(scale.multiply(basis[i])));
            }
        }
        return out;
    }

    /**
     * Gao's decoder: the polynomial of degree below {@code k} that agrees with all but at most
     * {@code (m - k) / 2} of the {@code m} shares, or null if there is none.
     */
    static BigInteger[] gao(List<ShamirSharing.Share> shares, int k) {
        int m = shares.size();
        if (m - k < 2) {
            return null; // corrects nothing the first interpolation did not already check
        }
        BigInteger[] g0 = new BigInteger[] {BigInteger.ONE};
        for (ShamirSharing.Share s : shares) {
            g0 = multiply(g0, new BigInteger[] {mod(BigInteger.valueOf(-s.x())), BigInteger.ONE});
        }
        BigInteger[] g1 = trim(interpolate(shares));
        // extended Euclid on (g0, g1), tracking only g1's cofactor, until deg r < (m + k) / 2
        BigInteger[] rPrev = g0;
        BigInteger[] r = g1;
        BigInteger[] vPrev = new BigInteger[0];
        BigInteger[] v = new BigInteger[] {BigInteger.ONE};
        while (2 * degree(r) >= m + k) {
            BigInteger[][] qr = divide(rPrev, r);
            rPrev = r;
            r = qr[1];
            BigInteger[] vNext = subtract(vPrev, multiply(qr[0], v));
            vPrev = v;
            v = vNext;
        }
        BigInteger[][] qr = divide(r, v);
        if (qr[1].length != 0 || degree(qr[0]) >= k) {
            return null;
        }
        BigInteger[] f = qr[0].length == 0 ? new BigInteger[] {BigInteger.ZERO} : qr[0];
        return m - agreeing(f, shares) <= (m - k) / 2 ? f : null;
    }

    private static int degree(BigInteger[] p) {
        return p.length - 1;
    }

    private static BigInteger[] trim(BigInteger[] p) {
        int n = p.length;
        while (n > 0 && p[n - 1].signum() == 0) {
            n--;
        }
        return n == p.length ? p : Arrays.copyOf(p, n);
    }

    private static BigInteger[] multiply(BigInteger[] a, BigInteger[] b) {
        if (a.length == 0 || b.length == 0) {
            return new BigInteger[0];
        }
        BigInteger[] out = new BigInteger[a.length + b.length - 1];
        Arrays.fill(out, BigInteger.ZERO);
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                out[i + j] = out[i + j].add(a[i].multiply(b[j]));
            }
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = mod(out[i]);
        }
        return trim(out);
    }

    private static BigInteger[] subtract(BigInteger[] a, BigInteger[] b) {
        BigInteger[] out = new BigInteger[Math.max(a.length, b.length)];
        for (int i = 0; i < out.length; i++) {
            BigInteger ai = i < a.length ? a[i] : BigInteger.ZERO;
            BigInteger bi = i < b.length ? b[i] : BigInteger.ZERO;
            out[i] = mod(ai.subtract(bi));
        }
        return trim(out);
    }

    /** {quotient, remainder} of {@code a / b}, {@code b} not zero. */
    private static BigInteger[][] divide(BigInteger[] a, BigInteger[] b) {
        BigInteger[] rem = a.clone();
        int db = degree(b);
        if (degree(a) < db) {
            return new BigInteger[][] {new BigInteger[0], trim(rem)};
        }
        BigInteger lead = b[db].modInverse(PRIME);
        BigInteger[] q = new BigInteger[degree(a) - db + 1];
        Arrays.fill(q, BigInteger.ZERO);
        for (int i = degree(a); i >= db; i--) {
            if (rem[i].signum() == 0) {
                continue;
            }
            BigInteger c = mod(rem[i].multiply(lead));
            q[i - db] = c;
            for (int j = 0; j <= db; j++) {
                rem[i - db + j] = mod(rem[i - db + j].subtract(c.multiply(b[j])));
            }
        }
        return new BigInteger[][] {trim(q), trim(Arrays.copyOf(rem, db))};
    }
}
