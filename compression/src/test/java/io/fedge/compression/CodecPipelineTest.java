package io.fedge.compression;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every codec pipeline against its documented error bound, computed here independently of the
 * codec, on random and adversarial chunks; and every decoder against corrupted bytes.
 */
class CodecPipelineTest {
    private static final CodecRegistry REGISTRY = CodecRegistry.defaultRegistry();
    private static final String[] ALL = {
            "fp32", "fp16", "int8", "int4", "int8:block=64,stochastic", "int4:stochastic", "sign", "sign:block=32",
            "topk:0.01", "topk:0.1+int8", "topk:0.01+int8+zstd", "int8+zstd", "fp16+zstd", "zstd", "int4+zstd:level=9",
    };

    private static float[] gaussian(int n, long seed, double sd) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * sd);
        }
        return v;
    }

    /** The chunks every codec must survive: random of several sizes, empty, zeros, one huge value. */
    private static float[][] chunks() {
        float[] spike = new float[1000];
        spike[517] = 3.0e4f;
        spike[3] = -1e-3f;
        float[] tiny = gaussian(777, 5, 1e-6);
        return new float[][] {gaussian(16_384, 1, 0.01), gaussian(1_000, 2, 1.0), gaussian(257, 3, 0.1),
                gaussian(1, 4, 0.5), new float[0], new float[300], spike, tiny};
    }

    private static float[] roundTrip(UpdateCodec codec, float[] v) {
        byte[] encoded = codec.encode(v, 0, v.length);
        assertTrue(encoded.length <= codec.maxEncodedBytes(v.length), codec.name() + " exceeds its bound");
        float[] out = new float[v.length + 2];
        out[0] = 42;
        out[out.length - 1] = 43;
        codec.decode(ByteBuffer.wrap(encoded), out, 1, v.length);
        assertEquals(42, out[0], "decode writes outside its range");
        assertEquals(43, out[out.length - 1], "decode writes outside its range");
        return Arrays.copyOfRange(out, 1, v.length + 1);
    }

    @Test
    void namesAreCanonicalAndStagesAreChecked() {
        assertEquals("topk:0.01+int8+zstd", REGISTRY.get("topk:0.01 + int8 + zstd").name());
        assertEquals("int8", REGISTRY.get("int8:block=256").name());
        assertEquals("fp32+zstd", REGISTRY.get("zstd").name());
        assertEquals("topk:0.5", REGISTRY.get("topk:0.5+fp32").name());
        for (String bad : new String[] {"int9", "zstd+int8", "int8+topk:0.1", "topk", "topk:2", "topk:x",
                "int8:block=0", "int8:fast", "fp16+fp32", "", "sign+zstd+zstd"}) {
            FedgeException e = assertThrows(FedgeException.class, () -> REGISTRY.get(bad), bad);
            assertEquals(ErrorCode.UNSUPPORTED_CODEC, e.code());
        }
        CodecRegistry small = REGISTRY.only(java.util.List.of("fp32", "int8"));
        assertEquals("int8", small.get("int8").name());
        assertThrows(FedgeException.class, () -> small.get("int8+zstd"));
    }

    @Test
    void losslessCodecsAreBitExact() {
        for (String name : new String[] {"fp32", "zstd"}) {
            for (float[] v : chunks()) {
                assertArrayEquals(v, roundTrip(REGISTRY.get(name), v), name);
            }
        }
    }

    @Test
    void fp16IsWithinHalfAnUlpOfHalfPrecision() {
        for (String name : new String[] {"fp16", "fp16+zstd"}) {
            for (float[] v : chunks()) {
                float[] d = roundTrip(REGISTRY.get(name), v);
                for (int i = 0; i < v.length; i++) {
                    double a = Math.abs(v[i]);
                    double bound = a >= 0x1p-14 ? a * 0x1p-11 : 0x1p-25;
                    assertTrue(Math.abs(v[i] - d[i]) <= bound, name + ": " + v[i] + " -> " + d[i]);
                }
            }
        }
        // exact on halves themselves, including the subnormal range and the largest finite half
        float[] exact = {0f, 1f, -2.5f, 65504f, 0x1p-24f, 0x1p-14f, 1.5f * 0x1p-20f};
        assertArrayEquals(exact, roundTrip(REGISTRY.get("fp16"), exact));
        assertEquals(65504f, roundTrip(REGISTRY.get("fp16"), new float[] {1e9f})[0], "saturates");
    }

    @ParameterizedTest
    @ValueSource(strings = {"int8", "int4", "int8:block=64", "int4:block=1000", "int8+zstd"})
    void blockQuantizationIsWithinHalfAStepOfItsBlock(String name) {
        int bits = name.startsWith("int8") ? 8 : 4;
        int block = name.contains("block=64") ? 64 : name.contains("block=1000") ? 1000 : 256;
        int levels = bits == 8 ? 127 : 7;
        for (float[] v : chunks()) {
            float[] d = roundTrip(REGISTRY.get(name), v);
            for (int b = 0; b * block < v.length; b++) {
                float max = 0;
                for (int i = b * block; i < Math.min(v.length, (b + 1) * block); i++) {
                    max = Math.max(max, Math.abs(v[i]));
                }
                double bound = max / levels / 2 * (1 + 1e-6);
                for (int i = b * block; i < Math.min(v.length, (b + 1) * block); i++) {
                    assertTrue(Math.abs(v[i] - d[i]) <= bound, name + " value " + i + ": " + v[i] + " -> " + d[i]
                            + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void stochasticRoundingIsUnbiasedAndWithinOneStep() {
        UpdateCodec codec = REGISTRY.get("int4:stochastic");
        float[] v = new float[256];
        Arrays.fill(v, 0.3f);
        v[0] = 7f; // scale 1: 0.3 lies 30% of the way from 0 to 1
        float[] d = roundTrip(codec, v);
        double mean = 0;
        for (int i = 1; i < v.length; i++) {
            assertTrue(d[i] == 0f || d[i] == 1f, "rounds to a neighbour: " + d[i]);
            mean += d[i];
        }
        mean /= v.length - 1;
        // 255 Bernoulli(0.3): sd 0.029; deterministic rounding would give 0
        assertTrue(Math.abs(mean - 0.3) < 0.12, "mean " + mean);
        assertArrayEquals(d, roundTrip(codec, v), "seeded by the chunk: the same input encodes the same way");
    }

    @Test
    void signKeepsSignsAndTheBlockL1Norm() {
        for (float[] v : chunks()) {
            float[] d = roundTrip(REGISTRY.get("sign:block=32"), v);
            for (int b = 0; b * 32 < v.length; b++) {
                double l1 = 0;
                double l1d = 0;
                for (int i = b * 32; i < Math.min(v.length, (b + 1) * 32); i++) {
                    l1 += Math.abs(v[i]);
                    l1d += Math.abs(d[i]);
                    assertTrue(v[i] == 0 || Math.signum(v[i]) == Math.signum(d[i]), "sign of " + v[i]);
                }
                assertEquals(l1, l1d, 1e-5 * l1 + 1e-30);
            }
        }
    }

    @Test
    void topKKeepsExactlyTheLargestMagnitudes() {
        float[] v = gaussian(10_000, 9, 1.0);
        float[] d = roundTrip(REGISTRY.get("topk:0.01"), v);
        float[] mags = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            mags[i] = Math.abs(v[i]);
        }
        float[] sorted = mags.clone();
        Arrays.sort(sorted);
        float threshold = sorted[v.length - 100]; // the 100th largest
        int kept = 0;
        for (int i = 0; i < v.length; i++) {
            if (d[i] != 0) {
                kept++;
                assertEquals(v[i], d[i], "kept values are exact with fp32");
                assertTrue(mags[i] >= threshold);
            } else {
                assertTrue(mags[i] <= threshold, "dropped " + v[i] + " above the threshold " + threshold);
            }
        }
        assertEquals(100, kept);
        assertArrayEquals(new float[] {5f}, roundTrip(REGISTRY.get("topk:0.01"), new float[] {5f}), "one of one is kept");
    }

    @Test
    void compressionRatiosAreWhatTheFormatsSay() {
        int n = 16_384;
        float[] v = gaussian(n, 11, 0.01);
        assertEquals(4 * n, REGISTRY.get("fp32").encode(v, 0, n).length);
        assertEquals(2 * n, REGISTRY.get("fp16").encode(v, 0, n).length);
        assertEquals(n + 4 * 64, REGISTRY.get("int8").encode(v, 0, n).length); // 3.94x
        assertEquals(n / 2 + 4 * 64, REGISTRY.get("int4").encode(v, 0, n).length);
        assertEquals(n / 8 + 4 * 64, REGISTRY.get("sign").encode(v, 0, n).length);
        int topk = REGISTRY.get("topk:0.01+int8").encode(v, 0, n).length;
        assertTrue(4.0 * n / topk >= 50, "topk:0.01+int8 ratio " + 4.0 * n / topk);
    }

    @Test
    void nonFiniteValuesAreRefused() {
        for (String name : ALL) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] v = gaussian(100, 1, 1);
                v[37] = bad;
                assertThrows(IllegalArgumentException.class, () -> REGISTRY.get(name).encode(v, 0, v.length), name);
            }
        }
    }

    @Test
    void corruptedOrTruncatedChunksAreCodecErrors() {
        Random r = new Random(3);
        for (String name : ALL) {
            UpdateCodec codec = REGISTRY.get(name);
            float[] v = gaussian(1000, 7, 0.1);
            byte[] good = codec.encode(v, 0, v.length);
            for (int cut : new int[] {0, 1, good.length / 2, good.length - 1}) {
                assertCodecError(codec, Arrays.copyOf(good, cut), v.length, name + " truncated to " + cut);
            }
            byte[] longer = Arrays.copyOf(good, good.length + 3);
            assertCodecError(codec, longer, v.length, name + " with trailing bytes");
            assertCodecError(codec, good, v.length + 1, name + " for another length");
            for (int trial = 0; trial < 200; trial++) {
                byte[] garbage = new byte[r.nextInt(2 * good.length + 1)];
                r.nextBytes(garbage);
                // random bytes of the right shape can be a valid encoding (the transport's digest and
                // tag catch those); anything else must be refused as a codec error, never crash
                try {
                    codec.decode(ByteBuffer.wrap(garbage), new float[v.length], 0, v.length);
                } catch (FedgeException e) {
                    assertTrue(e.code() == ErrorCode.CODEC_ERROR || e.code() == ErrorCode.SHAPE_MISMATCH,
                            name + ": " + e.code() + " " + e.getMessage());
                }
            }
        }
    }

    private static void assertCodecError(UpdateCodec codec, byte[] bytes, int length, String what) {
        FedgeException e = assertThrows(FedgeException.class,
                () -> codec.decode(ByteBuffer.wrap(bytes), new float[length], 0, length), what);
        assertTrue(e.code() == ErrorCode.CODEC_ERROR || e.code() == ErrorCode.SHAPE_MISMATCH, what + ": " + e.code());
    }

    @Test
    void aZstdBombIsRefusedBeforeItIsInflated() {
        UpdateCodec codec = REGISTRY.get("int8+zstd");
        byte[] bomb = com.github.luben.zstd.Zstd.compress(new byte[50 << 20], 3);
        assertCodecError(codec, bomb, 1000, "a frame declaring 50 MB");
    }
}
