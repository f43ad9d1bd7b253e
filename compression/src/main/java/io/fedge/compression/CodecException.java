package io.fedge.compression;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

/** Bytes that are not an encoding the codec could have produced: corrupted, truncated or forged. */
final class CodecException {
    private CodecException() {
    }

    static FedgeException of(String codec, String message) {
        return new FedgeException(ErrorCode.CODEC_ERROR, codec + ": " + message);
    }

    /**
     * A little-endian view of {@code encoded}, which must hold exactly {@code bytes} bytes: the
     * size a block codec's chunk of {@code length} values always has.
     */
    static java.nio.ByteBuffer exactly(String codec, java.nio.ByteBuffer encoded, int bytes, int length) {
        if (encoded.remaining() != bytes) {
            throw of(codec, encoded.remaining() + " bytes are not an encoding of " + length + " values");
        }
        return encoded.slice().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads {@code blocks} float32 block scales, each finite and non-negative. */
    static float[] scales(String codec, java.nio.ByteBuffer in, int blocks) {
        float[] scales = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            float s = in.getFloat();
            if (!(s >= 0) || !Float.isFinite(s)) {
                throw of(codec, "block " + b + " has scale " + s);
            }
            scales[b] = s;
        }
        return scales;
    }

    static void requireFinite(String codec, float[] values, int offset, int length) {
        for (int i = 0; i < length; i++) {
            float v = values[offset + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(codec + " cannot encode value " + (offset + i) + ": " + v);
            }
        }
    }
}
