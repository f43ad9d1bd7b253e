package io.fedge.compression;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A lossless last stage: the {@code inner} codec's chunk compressed with Zstandard (zstd-jni).
 * Decompression is bounded by the most the inner codec can produce for the chunk, so a forged
 * frame cannot make the receiver allocate more.
 */
public final class ZstdCodec implements UpdateCodec {
    /** The default compression level: fast, and most of the gain on quantized updates. */
    public static final int DEFAULT_LEVEL = 3;

    private final UpdateCodec inner;
    private final int level;
    private final String name;

    public ZstdCodec(UpdateCodec inner, int level) {
        this.inner = Objects.requireNonNull(inner, "inner");
        if (level < 1 || level > 19) {
            throw new IllegalArgumentException("zstd level must be in [1, 19]: " + level);
        }
        this.level = level;
        this.name = inner.name() + "+zstd" + (level == DEFAULT_LEVEL ? "" : ":level=" + level);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int maxEncodedBytes(int elements) {
        long bound = Zstd.compressBound(inner.maxEncodedBytes(elements));
        return Math.toIntExact(bound);
    }

    @Override
    public byte[] encode(float[] values, int offset, int length) {
        return Zstd.compress(inner.encode(values, offset, length), level);
    }

    @Override
    public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
        byte[] frame = new byte[encoded.remaining()];
        encoded.get(frame);
        long size;
        try {
            size = Zstd.getFrameContentSize(frame);
        } catch (ZstdException | IndexOutOfBoundsException e) {
            throw CodecException.of(name, "not a zstd frame: " + e.getMessage());
        }
        int bound = inner.maxEncodedBytes(length);
        if (size < 0 || size > bound) {
            throw CodecException.of(name, "frame declares " + size + " bytes, at most " + bound + " expected");
        }
        byte[] plain = new byte[(int) size];
        try {
            long n = Zstd.decompressByteArray(plain, 0, plain.length, frame, 0, frame.length);
            if (n != size) {
                throw CodecException.of(name, "frame decompressed to " + n + " of " + size + " bytes");
            }
        } catch (ZstdException | IndexOutOfBoundsException e) {
            throw CodecException.of(name, "corrupt frame: " + e.getMessage());
        }
        inner.decode(ByteBuffer.wrap(plain), out, outOffset, length);
    }

    @Override
    public boolean wantsErrorFeedback() {
        return inner.wantsErrorFeedback();
    }

    @Override
    public String toString() {
        return name;
    }
}
