package io.fedge.compression;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A model download as a lossless delta against the version the client already holds: the XOR of
 * the two encoded models, its bytes regrouped by position within each 4-byte word (sign and
 * exponent bytes, which rarely change between rounds, end up in long runs of zeros), compressed
 * with Zstandard, and the SHA-256 of the new encoded model, so the client checks what it rebuilt.
 * Exact: the client ends up with the very bytes a full download would have given it.
 *
 * <p>Format: {@code FDLT}, the target's SHA-256 (32 bytes), the zstd frame.
 */
public final class ModelDelta {
    private static final int MAGIC = 0x46444C54; // "FDLT"
    private static final int LEVEL = 3;

    private ModelDelta() {
    }

    /** The delta turning {@code base} into {@code target}, or null if they differ in length (no delta possible). */
    public static byte[] encode(byte[] base, byte[] target) {
        if (base.length != target.length) {
            return null;
        }
        byte[] x = new byte[target.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (byte) (base[i] ^ target[i]);
        }
        byte[] frame = Zstd.compress(shuffle(x), LEVEL);
        return ByteBuffer.allocate(4 + 32 + frame.length).putInt(MAGIC).put(sha256(target)).put(frame).array();
    }

    /**
     * The model {@code delta} rebuilds from {@code base}.
     *
     * @throws FedgeException with {@link ErrorCode#CODEC_ERROR} if the delta is malformed, or
     *     {@link ErrorCode#DIGEST_MISMATCH} if what it rebuilds is not the model it names
     */
    public static byte[] apply(byte[] base, byte[] delta) {
        if (delta.length < 36 || ByteBuffer.wrap(delta).getInt() != MAGIC) {
            throw new FedgeException(ErrorCode.CODEC_ERROR, "not a model delta");
        }
        byte[] digest = Arrays.copyOfRange(delta, 4, 36);
        byte[] frame = Arrays.copyOfRange(delta, 36, delta.length);
        byte[] x = new byte[base.length];
        try {
            long size = Zstd.getFrameContentSize(frame);
            if (size != base.length) {
                throw new FedgeException(ErrorCode.CODEC_ERROR, "delta of " + size + " bytes for a base of " + base.length);
            }
            long n = Zstd.decompressByteArray(x, 0, x.length, frame, 0, frame.length);
            if (n != x.length) {
                throw new FedgeException(ErrorCode.CODEC_ERROR, "delta decompressed to " + n + " bytes");
            }
        } catch (ZstdException | IndexOutOfBoundsException e) {
            throw new FedgeException(ErrorCode.CODEC_ERROR, "corrupt model delta: " + e.getMessage());
        }
        byte[] target = unshuffle(x);
        for (int i = 0; i < target.length; i++) {
            target[i] ^= base[i];
        }
        if (!MessageDigest.isEqual(digest, sha256(target))) {
            throw new FedgeException(ErrorCode.DIGEST_MISMATCH, "the model rebuilt from the delta is not the one it names"
                    + " (wrong base?)");
        }
        return target;
    }

    /** Byte i of every 4-byte word together: plane 0, then plane 1, 2, 3 (a tail shorter than a word stays last). */
    static byte[] shuffle(byte[] b) {
        int words = b.length / 4;
        byte[] out = new byte[b.length];
        for (int w = 0; w < words; w++) {
            for (int k = 0; k < 4; k++) {
                out[k * words + w] = b[4 * w + k];
            }
        }
        System.arraycopy(b, 4 * words, out, 4 * words, b.length - 4 * words);
        return out;
    }

    static byte[] unshuffle(byte[] b) {
        int words = b.length / 4;
        byte[] out = new byte[b.length];
        for (int w = 0; w < words; w++) {
            for (int k = 0; k < 4; k++) {
                out[4 * w + k] = b[k * words + w];
            }
        }
        System.arraycopy(b, 4 * words, out, 4 * words, b.length - 4 * words);
        return out;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }
}
