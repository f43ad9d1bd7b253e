package io.fedge.simulation.attack;

import io.fedge.compression.Fp32Codec;
import io.fedge.compression.UpdateCodec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The {@code fp32} wire format without the encoder's check for non-finite values: what a {@code nan}
 * attacker encodes with, since fedge's own {@link Fp32Codec} refuses to encode NaN on the client
 * and the attack is about what the coordinator does when NaN arrives anyway. Decodes as
 * {@link Fp32Codec} does.
 */
final class UncheckedFp32Codec implements UpdateCodec {
    private final Fp32Codec checked = new Fp32Codec();

    @Override
    public String name() {
        return Fp32Codec.NAME;
    }

    @Override
    public int maxEncodedBytes(int elements) {
        return checked.maxEncodedBytes(elements);
    }

    @Override
    public byte[] encode(float[] values, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, values.length);
        ByteBuffer out = ByteBuffer.allocate(maxEncodedBytes(length)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++) {
            out.putFloat(values[offset + i]);
        }
        return out.array();
    }

    @Override
    public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
        checked.decode(encoded, out, outOffset, length);
    }
}
