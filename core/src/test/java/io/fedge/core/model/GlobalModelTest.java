package io.fedge.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GlobalModelTest {
    private static final String CONFIG = "{\"layers\":[\"dense\"],\"name\":\"tiny\"}";
    private static final float[] PARAMS = {1.5f, -0.0f, Float.MIN_VALUE, -3.25e38f, 0.1f};

    /** Where the fields sit in the encoded form of the small model above. */
    private static final int CONFIG_LENGTH_AT = 4 + 4 + 8;
    private static final int CONFIG_AT = CONFIG_LENGTH_AT + 4;
    private static final int COUNT_AT = CONFIG_AT + CONFIG.getBytes(StandardCharsets.UTF_8).length;
    private static final int PARAMS_AT = COUNT_AT + 4;

    private static GlobalModel small() {
        return new GlobalModel(7, CONFIG, PARAMS);
    }

    private static FedgeException refused(byte[] bytes) {
        return assertThrows(FedgeException.class, () -> GlobalModel.decode(bytes));
    }

    private static byte[] withInt(byte[] bytes, int at, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return copy;
    }

    @Test
    void encodeThenDecodeGivesAnEqualModel() {
        GlobalModel model = small();
        GlobalModel decoded = GlobalModel.decode(model.encode());

        assertEquals(model, decoded);
        assertEquals(model.hashCode(), decoded.hashCode());
        assertEquals(7, decoded.version());
        assertEquals(CONFIG, decoded.configJson());
        float[] params = decoded.parameters();
        assertEquals(PARAMS.length, params.length);
        for (int i = 0; i < PARAMS.length; i++) {
            // -0.0f and the subnormal must come back bit for bit.
            assertEquals(Float.floatToRawIntBits(PARAMS[i]), Float.floatToRawIntBits(params[i]), "parameter " + i);
        }
    }

    @Test
    void encodedLayoutIsMagicFormatVersionConfigThenLittleEndianParameters() {
        byte[] bytes = small().encode();
        byte[] config = CONFIG.getBytes(StandardCharsets.UTF_8);

        assertEquals(4 + 4 + 8 + 4 + config.length + 4 + 4 * PARAMS.length, bytes.length);
        // "FDGM" = 0x4644474D, little-endian.
        assertArrayEquals(new byte[] {0x4D, 0x47, 0x44, 0x46}, Arrays.copyOfRange(bytes, 0, 4));
        assertArrayEquals(new byte[] {1, 0, 0, 0}, Arrays.copyOfRange(bytes, 4, 8));
        assertArrayEquals(new byte[] {7, 0, 0, 0, 0, 0, 0, 0}, Arrays.copyOfRange(bytes, 8, 16));
        assertArrayEquals(new byte[] {(byte) config.length, 0, 0, 0},
                Arrays.copyOfRange(bytes, CONFIG_LENGTH_AT, CONFIG_AT));
        assertArrayEquals(config, Arrays.copyOfRange(bytes, CONFIG_AT, COUNT_AT));
        assertArrayEquals(new byte[] {(byte) PARAMS.length, 0, 0, 0}, Arrays.copyOfRange(bytes, COUNT_AT, PARAMS_AT));
        // 1.5f is 0x3FC00000; little-endian puts the low byte first.
        assertArrayEquals(new byte[] {0, 0, (byte) 0xC0, 0x3F}, Arrays.copyOfRange(bytes, PARAMS_AT, PARAMS_AT + 4));
    }

    @Test
    void emptyConfigurationAndNoParametersRoundTrip() {
        GlobalModel empty = new GlobalModel(0, "", new float[0]);
        byte[] bytes = empty.encode();
        assertEquals(4 + 4 + 8 + 4 + 4, bytes.length);
        assertEquals(empty, GlobalModel.decode(bytes));
    }

    @Test
    void nonAsciiConfigurationRoundTrips() {
        GlobalModel model = new GlobalModel(3, "{\"name\":\"modèle ☃\"}", new float[] {2f});
        assertEquals(model, GlobalModel.decode(model.encode()));
    }

    @Test
    void refusesBadMagic() {
        byte[] bytes = small().encode();
        bytes[0] ^= 0x01;
        assertEquals(ErrorCode.MALFORMED, refused(bytes).code());
    }

    @Test
    void refusesUnknownFormatVersion() {
        assertEquals(ErrorCode.MALFORMED, refused(withInt(small().encode(), 4, 3)).code());
    }

    @Test
    void halfPrecisionHalvesTheParametersWithinTheirRoundingBound() {
        float[] params = new float[1000];
        java.util.Random r = new java.util.Random(4);
        for (int i = 0; i < params.length; i++) {
            params[i] = (float) (r.nextGaussian() * 0.2);
        }
        GlobalModel model = new GlobalModel(3, CONFIG, params);
        byte[] half = model.encode(true);
        assertEquals(model.encode().length - 2 * params.length, half.length);
        assertEquals(2, ByteBuffer.wrap(half).order(ByteOrder.LITTLE_ENDIAN).getInt(4), "format 2");
        GlobalModel decoded = GlobalModel.decode(half);
        assertEquals(3, decoded.version());
        assertEquals(CONFIG, decoded.configJson());
        for (int i = 0; i < params.length; i++) {
            double a = Math.abs(params[i]);
            double bound = a >= 0x1p-14 ? a * 0x1p-11 : 0x1p-25;
            assertEquals(params[i], decoded.parameter(i), bound, "parameter " + i);
        }
        // a half infinity or NaN is refused like a float one
        byte[] inf = half.clone();
        ByteBuffer.wrap(inf).order(ByteOrder.LITTLE_ENDIAN).putShort(inf.length - 2, (short) 0x7C00);
        assertEquals(ErrorCode.NON_FINITE, refused(inf).code());
    }

    @Test
    void refusesEveryTruncation() {
        byte[] bytes = small().encode();
        for (int length = 0; length < bytes.length; length++) {
            byte[] prefix = Arrays.copyOf(bytes, length);
            FedgeException e = assertThrows(FedgeException.class, () -> GlobalModel.decode(prefix),
                    "prefix of " + length + " bytes");
            assertEquals(ErrorCode.MALFORMED, e.code(), "prefix of " + length + " bytes");
        }
    }

    @Test
    void refusesTrailingBytes() {
        byte[] bytes = Arrays.copyOf(small().encode(), small().encode().length + 1);
        assertEquals(ErrorCode.MALFORMED, refused(bytes).code());
    }

    @Test
    void refusesParameterCountThatDisagreesWithTheBytesThatFollow() {
        byte[] bytes = small().encode();
        assertEquals(ErrorCode.MALFORMED, refused(withInt(bytes, COUNT_AT, PARAMS.length + 1)).code());
        assertEquals(ErrorCode.MALFORMED, refused(withInt(bytes, COUNT_AT, PARAMS.length - 1)).code());
        assertEquals(ErrorCode.MALFORMED, refused(withInt(bytes, COUNT_AT, -1)).code());
        // (2^30 + 5) * 4 wraps to 20 in int arithmetic, exactly the 20 parameter bytes present.
        assertEquals(ErrorCode.MALFORMED, refused(withInt(bytes, COUNT_AT, (1 << 30) + PARAMS.length)).code());
    }

    @Test
    void refusesHugeOrNegativeConfigurationLength() {
        byte[] bytes = small().encode();
        assertEquals(ErrorCode.MALFORMED, refused(withInt(bytes, CONFIG_LENGTH_AT, Integer.MAX_VALUE)).code());
        assertEquals(ErrorCode.MALFORMED, refused(withInt(bytes, CONFIG_LENGTH_AT, (16 << 20) + 1)).code());
        assertEquals(ErrorCode.MALFORMED, refused(withInt(bytes, CONFIG_LENGTH_AT, -1)).code());
    }

    @Test
    void refusesConfigurationLengthBeyondTheMaximumEvenWhenTheBytesAreThere() {
        // A configuration of 16 MiB + 1 bytes, actually present, is still refused.
        int configLength = (16 << 20) + 1;
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 + 4 + configLength + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x4644_474D).putInt(1).putLong(0).putInt(configLength);
        b.position(b.position() + configLength);
        b.putInt(0);
        assertEquals(ErrorCode.MALFORMED, refused(b.array()).code());
    }

    @Test
    void refusesNegativeModelVersion() {
        byte[] bytes = small().encode();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(8, -1L);
        assertEquals(ErrorCode.MALFORMED, refused(bytes).code());
    }

    @Test
    void refusesNonFiniteParameters() {
        float[] nonFinite = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.intBitsToFloat(0x7FC0_1234)};
        for (float bad : nonFinite) {
            for (int at : new int[] {0, PARAMS.length - 1}) {
                byte[] bytes = small().encode();
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat(PARAMS_AT + 4 * at, bad);
                FedgeException e = refused(bytes);
                assertEquals(ErrorCode.NON_FINITE, e.code(), bad + " at " + at);
            }
        }
    }

    @Test
    void parametersAreCopiedInAndOut() {
        float[] params = {1f, 2f};
        GlobalModel model = new GlobalModel(1, CONFIG, params);
        params[0] = 99f;
        model.parameters()[1] = 99f;
        assertArrayEquals(new float[] {1f, 2f}, model.parameters());
        assertEquals(2f, model.parameter(1));
        float[] dst = new float[4];
        model.copyParameters(0, dst, 1, 2);
        assertArrayEquals(new float[] {0f, 1f, 2f, 0f}, dst);
        assertEquals(8, model.parameterBytes());
    }

    @Test
    void withParametersKeepsTheConfigurationAndRefusesAnotherShape() {
        GlobalModel model = small();
        GlobalModel next = model.withParameters(8, new float[PARAMS.length]);
        assertEquals(8, next.version());
        assertEquals(CONFIG, next.configJson());
        assertNotEquals(model, next);

        FedgeException e = assertThrows(FedgeException.class, () -> model.withParameters(8, new float[1]));
        assertEquals(ErrorCode.SHAPE_MISMATCH, e.code());
    }

    @Test
    void constructorRefusesNegativeVersion() {
        assertThrows(IllegalArgumentException.class, () -> new GlobalModel(-1, CONFIG, PARAMS));
    }
}
