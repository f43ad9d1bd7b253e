package io.fedge.comm.secagg;

import io.fedge.comm.crypto.KeyDerivation;


import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Collection;
import java.util.Map;

/**
 * The mask arithmetic of secure aggregation (Bonawitz et al. 2017): each client adds to its
 * fixed-point update a self mask from its own seed and, for every other client in the round, a
 * pairwise mask from a seed the two agree on with X25519, added by the one whose id sorts first and
 * subtracted by the other, so pairwise masks cancel in the sum. All arithmetic wraps modulo 2^64,
 * so masked chunks fold into a running sum one at a time. To unmask, the aggregator subtracts the
 * self masks of the clients whose updates arrived and, for a client that dropped out after the
 * others masked against it, the pairwise masks the survivors added for it (from seeds rebuilt out
 * of Shamir shares).
 *
 * <p>Stateless and thread-safe.
 */
public final class PairwiseMasks {
    private static final byte[] SALT = "fedge-secagg-v1".getBytes(StandardCharsets.US_ASCII);

    private PairwiseMasks() {
    }

    /** The seed {@code a} and {@code b} share: X25519, then HKDF-SHA256 bound to both ids (in sorted order). */
    public static byte[] pairSeed(PrivateKey mine, PublicKey theirs, String myId, String theirId, long round) {
        byte[] shared = KeyDerivation.x25519(mine, theirs);
        String first = myId.compareTo(theirId) < 0 ? myId : theirId;
        String second = first.equals(myId) ? theirId : myId;
        byte[] info = (round + "\0" + first + "\0" + second).getBytes(StandardCharsets.UTF_8);
        return KeyDerivation.hkdf(shared, SALT, info, 32);
    }

    /** +1 if {@code me} adds the pair's mask, -1 if it subtracts it. */
    static long sign(String me, String other) {
        int c = me.compareTo(other);
        if (c == 0) {
            throw new IllegalArgumentException("a client has no pairwise mask with itself: " + me);
        }
        return c < 0 ? 1 : -1;
    }

    /**
     * Masks {@code values} (parameters {@code [offset, offset + values.length)} of client
     * {@code me}'s encoded update) in place.
     *
     * @param pairSeeds the seed shared with each other client of the round, by id
     */
    public static void mask(long[] values, long offset, String me, byte[] selfSeed, Map<String, byte[]> pairSeeds) {
        add(values, new MaskStream(selfSeed).words(offset, values.length), 1);
        for (Map.Entry<String, byte[]> e : pairSeeds.entrySet()) {
            add(values, new MaskStream(e.getValue()).words(offset, values.length), sign(me, e.getKey()));
        }
    }

    /**
     * Removes from {@code sum} (of the survivors' masked chunks) the survivors' self masks and
     * the pairwise masks that survivors added for clients that dropped out.
     *
     * @param survivorSelfSeeds the self seeds of the clients whose updates are in the sum
     * @param droppedPairSeeds for each dropped client, the seed it shared with each survivor, by survivor id
     */
    public static void unmask(long[] sum, long offset, Collection<byte[]> survivorSelfSeeds,
                              Map<String, Map<String, byte[]>> droppedPairSeeds) {
        for (byte[] seed : survivorSelfSeeds) {
            add(sum, new MaskStream(seed).words(offset, sum.length), -1);
        }
        for (Map.Entry<String, Map<String, byte[]>> dropped : droppedPairSeeds.entrySet()) {
            for (Map.Entry<String, byte[]> survivor : dropped.getValue().entrySet()) {
                long survivorSign = sign(survivor.getKey(), dropped.getKey());
                add(sum, new MaskStream(survivor.getValue()).words(offset, sum.length), -survivorSign);
            }
        }
    }

    private static void add(long[] target, long[] mask, long sign) {
        for (int i = 0; i < target.length; i++) {
            target[i] += sign * mask[i]; // wraps modulo 2^64
        }
    }
}
