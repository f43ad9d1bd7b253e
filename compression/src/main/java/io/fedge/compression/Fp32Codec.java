package io.fedge.compression;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The identity codec: every value as a little-endian IEEE-754 float, 4 bytes each. Lossless.
 */
public final class Fp32Codec implements UpdateCodec {
    public static final String NAME = "fp32";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int maxEncodedBytes(int elements) {
        return Math.multiplyExact(4, elements);
    }

    @Override
    public byte[] encode(float[] values, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, values.length);
        ByteBuffer out = ByteBuffer.allocate(maxEncodedBytes(length)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++) {
            float v = values[offset + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("value " + (offset + i) + " is " + v);
            }
            out.putFloat(v);
        }
        return out.array();
    }

    @Override
    public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
        Objects.checkFromIndexSize(outOffset, length, out.length);
        if (encoded.remaining() != 4L * length) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH, "fp32 chunk of " + encoded.remaining()
                    + " bytes cannot hold exactly " + length + " values");
        }
        encoded.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, outOffset, length);
        encoded.position(encoded.limit());
    }

    @Override
    public String toString() {
        return NAME;
    }
}
