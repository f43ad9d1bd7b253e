package io.fedge.comm.secagg;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pseudo-random masks of secure aggregation: a 32-byte seed expanded with AES-256 in counter
 * mode into a stream of 64-bit words, read chunk by chunk in parameter order. Two parties with the
 * same seed produce the same mask for the same positions, whatever chunking each uses.
 *
 * <p>Not thread-safe.
 */
public final class MaskStream {
    private final Cipher ctr;
    private final SecretKeySpec key;

    public MaskStream(byte[] seed) {
        if (seed.length != 32) {
            throw new IllegalArgumentException("seeds are 32 bytes: " + seed.length);
        }
        this.key = new SecretKeySpec(seed, "AES");
        try {
            this.ctr = Cipher.getInstance("AES/CTR/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no AES-CTR in this JDK", e);
        }
    }

    /** The mask words for parameters {@code [offset, offset + n)}. */
    public long[] words(long offset, int n) {
        // Each 16-byte AES block holds two words: start at the block holding word `offset`.
        long block = offset >>> 1;
        byte[] iv = new byte[16];
        for (int i = 0; i < 8; i++) {
            iv[15 - i] = (byte) (block >>> (8 * i));
        }
        int skip = (int) (offset & 1);
        try {
            ctr.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
            byte[] stream = ctr.doFinal(new byte[8 * (n + skip)]);
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                int at = 8 * (i + skip);
                long w = 0;
                for (int b = 0; b < 8; b++) {
                    w = (w << 8) | (stream[at + b] & 0xffL);
                }
                out[i] = w;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR failed", e);
        }
    }
}
