package io.fedge.compression;

import java.nio.ByteBuffer;

/**
 * Encodes slices of a float vector (a model update) into bytes, and back. Each call handles one
 * chunk independently of every other, so chunks can be decoded as they arrive.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface UpdateCodec {
    /** The name the registry and the wire know this codec by, for example {@code fp32}. */
    String name();

    /** The most bytes {@link #encode} produces for {@code elements} values. */
    int maxEncodedBytes(int elements);

    /**
     * Encodes {@code length} values of {@code values} starting at {@code offset}.
     *
     * @throws IllegalArgumentException if a value cannot be encoded (NaN or infinite)
     */
    byte[] encode(float[] values, int offset, int length);

    /**
     * Decodes one chunk into {@code out[outOffset .. outOffset + length)}.
     *
     * @param encoded the chunk's bytes, from its position to its limit; the position is advanced
     * @throws io.fedge.core.FedgeException with {@link io.fedge.core.ErrorCode#MALFORMED} or
     *     {@link io.fedge.core.ErrorCode#SHAPE_MISMATCH} if the bytes are not an encoding of
     *     exactly {@code length} values
     */
    void decode(ByteBuffer encoded, float[] out, int outOffset, int length);

    /**
     * Whether clients should carry what this codec drops into their next update (error
     * feedback): true for codecs whose error is not small next to the values (top-k, sign).
     */
    default boolean wantsErrorFeedback() {
        return false;
    }
}
