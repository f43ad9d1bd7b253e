package io.fedge.compression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Fp32CodecTest {
    private final Fp32Codec codec = new Fp32Codec();

    /** Random finite floats of every exponent, plus the awkward ones. */
    private static float[] awkwardValues(int randomCount) {
        float[] special = {
                0.0f, -0.0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -3.5e-39f,
                Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1.0f, -1.0f, 0.1f,
        };
        float[] v = Arrays.copyOf(special, special.length + randomCount);
        Random rng = new Random(17);
        for (int i = special.length; i < v.length; ) {
            float f = Float.intBitsToFloat(rng.nextInt());
            if (Float.isFinite(f)) {
                v[i++] = f;
            }
        }
        return v;
    }

    private static int[] bits(float[] v, int from, int to) {
        int[] out = new int[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    @Test
    void roundTripIsBitExact() {
        float[] values = awkwardValues(500);
        byte[] encoded = codec.encode(values, 0, values.length);
        assertEquals(4 * values.length, encoded.length);

        float[] out = new float[values.length];
        codec.decode(ByteBuffer.wrap(encoded), out, 0, values.length);
        assertArrayEquals(bits(values, 0, values.length), bits(out, 0, out.length));
    }

    @Test
    void encodingIsLittleEndianIeee754() {
        float[] values = {1.0f, -2.5f, Float.MIN_VALUE};
        byte[] encoded = codec.encode(values, 0, 3);
        // 1.0f = 0x3F800000, -2.5f = 0xC0200000, MIN_VALUE = 0x00000001; lowest byte first.
        assertArrayEquals(new byte[] {
                0, 0, (byte) 0x80, 0x3F,
                0, 0, 0x20, (byte) 0xC0,
                1, 0, 0, 0,
        }, encoded);
    }

    @Test
    void encodesTheRequestedSliceOnly() {
        float[] values = awkwardValues(20);
        byte[] slice = codec.encode(values, 3, 5);
        byte[] separately = codec.encode(Arrays.copyOfRange(values, 3, 8), 0, 5);
        assertArrayEquals(separately, slice);
        assertEquals(0, codec.encode(values, values.length, 0).length);
    }

    @Test
    void decodesIntoTheRequestedSliceOnly() {
        float[] values = awkwardValues(20);
        byte[] encoded = codec.encode(values, 3, 5);
        float[] out = new float[10];
        Arrays.fill(out, 42f);

        codec.decode(ByteBuffer.wrap(encoded), out, 2, 5);

        assertArrayEquals(new float[] {42f, 42f}, Arrays.copyOfRange(out, 0, 2));
        assertArrayEquals(bits(values, 3, 8), bits(out, 2, 7));
        assertArrayEquals(new float[] {42f, 42f, 42f}, Arrays.copyOfRange(out, 7, 10));
    }

    @Test
    void decodesFromTheBufferPositionWhateverItsByteOrder() {
        float[] values = {3.25f, -0.0f};
        byte[] encoded = codec.encode(values, 0, 2);
        byte[] padded = new byte[3 + encoded.length + 2];
        System.arraycopy(encoded, 0, padded, 3, encoded.length);
        ByteBuffer in = ByteBuffer.wrap(padded, 3, encoded.length).order(ByteOrder.BIG_ENDIAN);
        float[] out = new float[2];

        codec.decode(in, out, 0, 2);

        assertArrayEquals(bits(values, 0, 2), bits(out, 0, 2));
        assertEquals(3 + encoded.length, in.position());
        assertEquals(ByteOrder.BIG_ENDIAN, in.order());
    }

    @Test
    void decodeRefusesAByteCountThatIsNotFourPerValue() {
        byte[] encoded = codec.encode(new float[] {1f, 2f, 3f}, 0, 3);
        for (int bytes : new int[] {0, 4, 8, 11, 13, 16}) {
            ByteBuffer in = ByteBuffer.wrap(Arrays.copyOf(encoded, bytes));
            FedgeException e = assertThrows(FedgeException.class, () -> codec.decode(in, new float[3], 0, 3),
                    bytes + " bytes");
            assertEquals(ErrorCode.SHAPE_MISMATCH, e.code(), bytes + " bytes");
        }
    }

    @Test
    void encodeRefusesNonFiniteValues() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.intBitsToFloat(0xFFC0_0001)}) {
            float[] values = {1f, bad, 2f};
            assertThrows(IllegalArgumentException.class, () -> codec.encode(values, 0, 3), "" + bad);
            // Outside the slice it does not matter.
            assertEquals(4, codec.encode(values, 2, 1).length);
        }
    }

    @Test
    void refusesSlicesOutOfBounds() {
        float[] values = new float[4];
        assertThrows(IndexOutOfBoundsException.class, () -> codec.encode(values, 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> codec.encode(values, -1, 1));
        ByteBuffer eight = ByteBuffer.wrap(new byte[8]);
        assertThrows(IndexOutOfBoundsException.class, () -> codec.decode(eight, values, 3, 2));
    }

    @Test
    void maxEncodedBytesIsFourPerValue() {
        assertEquals(0, codec.maxEncodedBytes(0));
        assertEquals(4000, codec.maxEncodedBytes(1000));
        assertThrows(ArithmeticException.class, () -> codec.maxEncodedBytes(Integer.MAX_VALUE / 4 + 1));
        assertEquals("fp32", codec.name());
    }
}
