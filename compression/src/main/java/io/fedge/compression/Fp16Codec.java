package io.fedge.compression;

import io.fedge.core.Half;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * IEEE-754 half precision, 2 bytes per value, rounded to nearest (ties to even). Error bound: at
 * most {@code 2^-11 * |x|} for {@code 2^-14 <= |x| <= 65504}, at most {@code 2^-25} below;
 * magnitudes above 65504 (never a model delta in practice) saturate to 65504.
 */
public final class Fp16Codec implements UpdateCodec {
    public static final String NAME = "fp16";
    /** The largest finite half. */
    public static final float MAX = Half.MAX;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int maxEncodedBytes(int elements) {
        return Math.multiplyExact(2, elements);
    }

    @Override
    public byte[] encode(float[] values, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, values.length);
        CodecException.requireFinite(NAME, values, offset, length);
        ByteBuffer out = ByteBuffer.allocate(2 * length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++) {
            out.putShort(Half.fromFloat(values[offset + i]));
        }
        return out.array();
    }

    @Override
    public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
        Objects.checkFromIndexSize(outOffset, length, out.length);
        if (encoded.remaining() != 2L * length) {
            throw CodecException.of(NAME, encoded.remaining() + " bytes cannot hold exactly " + length + " values");
        }
        ByteBuffer in = encoded.slice().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++) {
            short h = in.getShort();
            if ((h & 0x7C00) == 0x7C00) {
                throw CodecException.of(NAME, "value " + i + " is infinite or NaN");
            }
            out[outOffset + i] = Half.toFloat(h);
        }
        encoded.position(encoded.limit());
    }

    @Override
    public String toString() {
        return NAME;
    }
}
