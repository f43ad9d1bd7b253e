package io.fedge.comm.secagg;

import io.fedge.comm.crypto.UpdateSealer;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arithmetic of secure aggregation, end to end but without the network: Shamir sharing, mask
 * streams, fixed point, pairwise masks that cancel, and recovery from clients that drop out after
 * the others masked against them.
 */
class SecureAggregationMathTest {
    private final SecureRandom random = new SecureRandom();

    @Test
    void anyThresholdOfSharesRebuildsTheSecretAndFewerDoNot() {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        List<ShamirSharing.Share> shares = ShamirSharing.split(secret, 4, 7, random);
        assertArrayEquals(secret, ShamirSharing.combine(shares.subList(0, 4), 32));
        assertArrayEquals(secret, ShamirSharing.combine(List.of(shares.get(6), shares.get(1), shares.get(4),
                shares.get(2)), 32));
        assertArrayEquals(secret, ShamirSharing.combine(shares, 32), "more than the threshold works too");
        assertFalse(Arrays.equals(secret, ShamirSharing.combine(shares.subList(0, 3), 32)), "three of four are not enough");
    }

    @Test
    void maskStreamsAgreeWhateverTheChunking() {
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        long[] whole = new MaskStream(seed).words(0, 1_001);
        long[] tail = new MaskStream(seed).words(333, 668);
        assertArrayEquals(Arrays.copyOfRange(whole, 333, 1_001), tail);
        assertFalse(Arrays.equals(whole, new MaskStream(new byte[32]).words(0, 1_001)));
    }

    private static PrivateKey x25519(byte[] scalar) throws Exception {
        return KeyFactory.getInstance("X25519").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
    }

    /**
     * 10 clients mask their weighted fixed-point updates; 2 drop out after masking; the
     * survivors' Shamir shares (threshold 6) rebuild the dropped clients' X25519 keys and the
     * survivors' self seeds; the unmasked sum equals the plain weighted sum within the
     * quantization bound.
     */
    @Test
    void masksCancelAndDroppedClientsAreRecoveredFromShares() throws Exception {
        int clients = 10;
        int params = 500;
        int threshold = 6;
        long round = 7;
        FixedPoint fp = FixedPoint.standard();
        Random rng = new Random(11);
        List<String> ids = new ArrayList<>();
        List<KeyPair> keys = new ArrayList<>();
        List<byte[]> selfSeeds = new ArrayList<>();
        List<float[]> updates = new ArrayList<>();
        long[] weights = new long[clients];
        for (int k = 0; k < clients; k++) {
            ids.add(String.format("client-%02d", k));
            keys.add(UpdateSealer.newKeyPair());
            byte[] b = new byte[32];
            random.nextBytes(b);
            selfSeeds.add(b);
            float[] u = new float[params];
            for (int i = 0; i < params; i++) {
                u[i] = (float) (rng.nextGaussian() * 0.01);
            }
            updates.add(u);
            weights[k] = 50 + rng.nextInt(1_000);
        }
        // Every client shares its self seed and its X25519 private key with all (the aggregator relays them).
        List<List<ShamirSharing.Share>> selfShares = new ArrayList<>();
        List<List<ShamirSharing.Share>> keyShares = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            selfShares.add(ShamirSharing.split(selfSeeds.get(k), threshold, clients, random));
            byte[] scalar = ((XECPrivateKey) keys.get(k).getPrivate()).getScalar().orElseThrow();
            keyShares.add(ShamirSharing.split(scalar, threshold, clients, random));
        }
        // Each client masks its encoded update against every other client.
        List<long[]> masked = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            long[] enc = new long[params];
            fp.encode(updates.get(k), params, weights[k], enc);
            Map<String, byte[]> pairs = new HashMap<>();
            for (int j = 0; j < clients; j++) {
                if (j != k) {
                    pairs.put(ids.get(j), PairwiseMasks.pairSeed(keys.get(k).getPrivate(), keys.get(j).getPublic(),
                            ids.get(k), ids.get(j), round));
                }
            }
            PairwiseMasks.mask(enc, 0, ids.get(k), selfSeeds.get(k), pairs);
            masked.add(enc);
        }
        // What the aggregator holds for one client is unrelated to its update.
        double[] x = new double[params];
        double[] y = new double[params];
        for (int i = 0; i < params; i++) {
            x[i] = updates.get(0)[i];
            y[i] = masked.get(0)[i];
        }
        assertTrue(Math.abs(correlation(x, y)) < 0.2, "masked vs plain correlation " + correlation(x, y));

        // Clients 3 and 8 drop out after masking: their masked updates never arrive.
        List<Integer> survivors = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            if (k != 3 && k != 8) {
                survivors.add(k);
            }
        }
        long[] sum = new long[params];
        for (int k : survivors) {
            for (int i = 0; i < params; i++) {
                sum[i] += masked.get(k)[i];
            }
        }
        // Survivors hand in shares: of survivors' self seeds, and of the dropped clients' keys.
        List<byte[]> survivorSeeds = new ArrayList<>();
        for (int k : survivors) {
            survivorSeeds.add(ShamirSharing.combine(pick(selfShares.get(k), survivors, threshold), 32));
        }
        Map<String, Map<String, byte[]>> droppedPairs = new HashMap<>();
        for (int d : List.of(3, 8)) {
            PrivateKey rebuilt = x25519(ShamirSharing.combine(pick(keyShares.get(d), survivors, threshold), 32));
            Map<String, byte[]> bySurvivor = new HashMap<>();
            for (int k : survivors) {
                bySurvivor.put(ids.get(k), PairwiseMasks.pairSeed(rebuilt, keys.get(k).getPublic(), ids.get(d), ids.get(k),
                        round));
            }
            droppedPairs.put(ids.get(d), bySurvivor);
        }
        PairwiseMasks.unmask(sum, 0, survivorSeeds, droppedPairs);

        long total = 0;
        for (int k : survivors) {
            total += weights[k];
        }
        assertTrue(fp.fits(total));
        double bound = survivors.size() * Math.scalb(0.5, -fp.fractionBits()) / total;
        for (int i = 0; i < params; i++) {
            double plain = 0;
            for (int k : survivors) {
                plain += (double) weights[k] * updates.get(k)[i];
            }
            plain /= total;
            assertEquals(plain, fp.decodeMean(sum[i], total), bound, "parameter " + i);
        }
    }

    /** The shares of the first {@code t} survivors (share x = client index + 1). */
    private static List<ShamirSharing.Share> pick(List<ShamirSharing.Share> shares, List<Integer> survivors, int t) {
        List<ShamirSharing.Share> out = new ArrayList<>();
        for (int k : survivors.subList(0, t)) {
            out.add(shares.get(k));
        }
        return out;
    }

    private static double correlation(double[] a, double[] b) {
        double ma = Arrays.stream(a).average().orElse(0);
        double mb = Arrays.stream(b).average().orElse(0);
        double cov = 0;
        double va = 0;
        double vb = 0;
        for (int i = 0; i < a.length; i++) {
            cov += (a[i] - ma) * (b[i] - mb);
            va += (a[i] - ma) * (a[i] - ma);
            vb += (b[i] - mb) * (b[i] - mb);
        }
        return cov / Math.sqrt(va * vb);
    }

    @Test
    void fixedPointRefusesSumsThatCouldOverflow() {
        FixedPoint fp = FixedPoint.standard();
        assertTrue(fp.fits(60_000));
        assertFalse(fp.fits(1L << 40));
        assertEquals(BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE), ShamirSharing.PRIME);
    }
}
