package io.fedge.compression;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * One bit per value (its sign) and one float32 scale per block of {@code block} values: the
 * block's mean magnitude, so a block decodes to {@code +-scale} with the same L1 norm as the
 * original (scaled signSGD). It has no per-value error bound: it is meant to run with error
 * feedback, which carries what one round's bits could not say into the next.
 */
public final class SignCodec implements UpdateCodec {
    private final int block;
    private final String name;

    public SignCodec(int block) {
        if (block < 1 || block > 1 << 20) {
            throw new IllegalArgumentException("block must be in [1, 2^20]: " + block);
        }
        this.block = block;
        this.name = block == BlockQuantizedCodec.DEFAULT_BLOCK ? "sign" : "sign:block=" + block;
    }

    @Override
    public String name() {
        return name;
    }

    private int blocks(int elements) {
        return (elements + block - 1) / block;
    }

    @Override
    public int maxEncodedBytes(int elements) {
        return Math.addExact(Math.multiplyExact(4, blocks(elements)), (elements + 7) / 8);
    }

    @Override
    public byte[] encode(float[] values, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, values.length);
        CodecException.requireFinite(name, values, offset, length);
        ByteBuffer out = ByteBuffer.allocate(maxEncodedBytes(length)).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0, n = blocks(length); b < n; b++) {
            int from = offset + b * block;
            int to = Math.min(offset + length, from + block);
            double sum = 0;
            for (int i = from; i < to; i++) {
                sum += Math.abs(values[i]);
            }
            out.putFloat((float) (sum / (to - from)));
        }
        byte[] signs = new byte[(length + 7) / 8];
        for (int i = 0; i < length; i++) {
            if (values[offset + i] < 0) {
                signs[i >> 3] |= (byte) (1 << (i & 7));
            }
        }
        out.put(signs);
        return out.array();
    }

    @Override
    public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
        Objects.checkFromIndexSize(outOffset, length, out.length);
        ByteBuffer in = CodecException.exactly(name, encoded, maxEncodedBytes(length), length);
        float[] scales = CodecException.scales(name, in, blocks(length));
        int at = in.position();
        for (int i = 0; i < length; i++) {
            boolean negative = (in.get(at + (i >> 3)) & (1 << (i & 7))) != 0;
            float s = scales[i / block];
            out[outOffset + i] = negative ? -s : s;
        }
        encoded.position(encoded.limit());
    }

    @Override
    public boolean wantsErrorFeedback() {
        return true;
    }

    @Override
    public String toString() {
        return name;
    }
}
