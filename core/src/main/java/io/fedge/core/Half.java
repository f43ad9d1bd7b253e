package io.fedge.core;

/**
 * IEEE-754 half precision (binary16) conversions, for Java 17, which has none: round to nearest,
 * ties to even; magnitudes of 65504 and more saturate to 65504. Stateless.
 */
public final class Half {
    /** The largest finite half. */
    public static final float MAX = 65504f;

    private Half() {
    }

    /** The half nearest {@code f} (ties to even), saturating at +-65504. Bit arithmetic, no branches on the common path. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs >= 0x477F_E000) { // 65504 and above (and infinities, NaN): the largest finite half
            return (short) (sign | 0x7BFF);
        }
        if (abs < 0x3880_0000) { // below 2^-14: a subnormal half, a multiple of 2^-24
            int m = (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f);
            return (short) (sign | m); // m == 1024 is the smallest normal, as it should be
        }
        // rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even;
        // a carry out of the mantissa correctly bumps the exponent
        int rounded = abs - 0x3800_0000 + 0x0FFF + ((abs >>> 13) & 1);
        return (short) (sign | (rounded >>> 13));
    }

    /** The float a (finite) half stands for. */
    public static float toFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int e = (h >>> 10) & 0x1F;
        int m = h & 0x3FF;
        if (e == 0) {
            float sub = m * 0x1p-24f;
            return sign == 0 ? sub : -sub;
        }
        return Float.intBitsToFloat(sign | ((e + 112) << 23) | (m << 13));
    }
}
