package io.fedge.compression;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Uniform symmetric quantization to 8 or 4 bits with one scale per block of {@code block} values:
 * a block's scale is its largest magnitude divided by 127 (int8) or 7 (int4), and each value
 * becomes the nearest integer multiple of it. A chunk is its blocks' float32 scales, then the
 * integers (one byte each, or two per byte, low nibble first).
 *
 * <p>Error bound per value: half its block's scale ({@code max|x| / 254} for int8, {@code max|x| / 14}
 * for int4); with stochastic rounding the error is below one scale but zero in expectation, so
 * the update stays unbiased.
 */
public final class BlockQuantizedCodec implements UpdateCodec {
    /** The default block size. */
    public static final int DEFAULT_BLOCK = 256;

    private static final java.lang.invoke.VarHandle FLOAT_LE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private final int bits;
    private final int levels;
    private final int block;
    private final boolean stochastic;
    private final String name;

    public BlockQuantizedCodec(int bits, int block, boolean stochastic) {
        if (bits != 8 && bits != 4) {
            throw new IllegalArgumentException("bits must be 8 or 4: " + bits);
        }
        if (block < 1 || block > 1 << 20) {
            throw new IllegalArgumentException("block must be in [1, 2^20]: " + block);
        }
        this.bits = bits;
        this.levels = bits == 8 ? 127 : 7;
        this.block = block;
        this.stochastic = stochastic;
        StringBuilder n = new StringBuilder("int").append(bits);
        String sep = ":";
        if (block != DEFAULT_BLOCK) {
            n.append(sep).append("block=").append(block);
            sep = ",";
        }
        if (stochastic) {
            n.append(sep).append("stochastic");
        }
        this.name = n.toString();
    }

    @Override
    public String name() {
        return name;
    }

    private int blocks(int elements) {
        return (elements + block - 1) / block;
    }

    private int payloadBytes(int elements) {
        return bits == 8 ? elements : (elements + 1) / 2;
    }

    @Override
    public int maxEncodedBytes(int elements) {
        return Math.addExact(Math.multiplyExact(4, blocks(elements)), payloadBytes(elements));
    }

    @Override
    public byte[] encode(float[] values, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, values.length);
        CodecException.requireFinite(name, values, offset, length);
        int nBlocks = blocks(length);
        byte[] out = new byte[maxEncodedBytes(length)];
        int payloadAt = 4 * nBlocks;
        SplittableRandom random = stochastic ? new SplittableRandom(seed(values, offset, length)) : null;
        for (int b = 0; b < nBlocks; b++) {
            int from = b * block;
            int to = Math.min(length, from + block);
            float max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(values[offset + i]));
            }
            float scale = max / levels;
            FLOAT_LE.set(out, 4 * b, scale);
            float inverse = scale == 0 || !Float.isFinite(1 / scale) ? 0 : 1 / scale;
            for (int i = from; i < to; i++) {
                float scaled = values[offset + i] * inverse;
                int q;
                if (random == null) {
                    q = Math.round(scaled);
                } else {
                    float floor = (float) Math.floor(scaled);
                    q = (int) floor + (random.nextFloat() < scaled - floor ? 1 : 0);
                }
                q = Math.max(-levels, Math.min(levels, q));
                if (bits == 8) {
                    out[payloadAt + i] = (byte) q;
                } else {
                    out[payloadAt + (i >> 1)] |= (byte) ((i & 1) == 0 ? q & 0xF : (q & 0xF) << 4);
                }
            }
        }
        return out;
    }

    /** Stochastic rounding is seeded by the chunk itself, so a seeded run encodes the same way twice. */
    private static long seed(float[] values, int offset, int length) {
        long h = 0x9E3779B97F4A7C15L ^ offset ^ ((long) length << 32);
        for (int i = 0; i < length; i += 7) {
            h = (h ^ Float.floatToRawIntBits(values[offset + i])) * 0xBF58476D1CE4E5B9L;
        }
        return h;
    }

    @Override
    public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
        Objects.checkFromIndexSize(outOffset, length, out.length);
        ByteBuffer in = CodecException.exactly(name, encoded, maxEncodedBytes(length), length);
        float[] scales = CodecException.scales(name, in, blocks(length));
        int payloadAt = in.position();
        for (int b = 0; b < scales.length; b++) {
            float scale = scales[b];
            int from = b * block;
            int to = Math.min(length, from + block);
            for (int i = from; i < to; i++) {
                int q;
                if (bits == 8) {
                    q = in.get(payloadAt + i);
                } else {
                    int packed = in.get(payloadAt + (i >> 1));
                    q = ((i & 1) == 0 ? packed << 28 : packed << 24) >> 28; // sign-extend the nibble
                }
                if (q < -levels) {
                    throw CodecException.of(name, "value " + i + " is " + q + ", outside +-" + levels);
                }
                out[outOffset + i] = q * scale;
            }
        }
        encoded.position(encoded.limit());
    }

    @Override
    public String toString() {
        return name;
    }
}
