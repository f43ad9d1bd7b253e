package io.fedge.comm.secagg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final Cipher ctr;
    private final SecretKeySpec key;
    private byte[] zeros = new byte[0];
    private byte[] stream = new byte[0];

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
        long[] out = new long[n];
        addTo(out, 0, offset, n, 1);
        return out;
    }

    /**
     * Adds {@code sign} times the mask words of parameters {@code [offset, offset + n)} to
     * {@code target[from..from+n)}, wrapping modulo 2^64.
     */
    public void addTo(long[] target, int from, long offset, int n, long sign) {
        // Each 16-byte AES block holds two words: start at the block holding word `offset`.
        long block = offset >>> 1;
        byte[] iv = new byte[16];
        for (int i = 0; i < 8; i++) {
            iv[15 - i] = (byte) (block >>> (8 * i));
        }
        int skip = (int) (offset & 1);
        int bytes = 8 * (n + skip);
        if (zeros.length < bytes) {
            zeros = new byte[bytes];
            stream = new byte[bytes];
        }
        try {
            ctr.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
            ctr.doFinal(zeros, 0, bytes, stream, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR failed", e);
        }
        for (int i = 0; i < n; i++) {
            target[from + i] += sign * (long) LONG_BE.get(stream, 8 * (i + skip));
        }
    }
}
