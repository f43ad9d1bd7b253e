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

    /** The half nearest {@code f} (ties to even), saturating at +-65504. */
    public static short fromFloat(float f) {
        int sign = (Float.floatToRawIntBits(f) >>> 16) & 0x8000;
        float abs = Math.abs(f);
        if (abs >= MAX) {
            return (short) (sign | 0x7BFF);
        }
        int e = Math.getExponent(abs);
        if (e < -14) { // subnormal half: multiples of 2^-24
            int m = (int) Math.rint(Math.scalb(abs, 24));
            return (short) (sign | m); // m == 1024 is the smallest normal, as it should be
        }
        int m = (int) Math.rint(Math.scalb(abs, 10 - e)); // in [1024, 2048]
        if (m == 2048) {
            m = 1024;
            e++;
        }
        if (e > 15) {
            return (short) (sign | 0x7BFF);
        }
        return (short) (sign | ((e + 15) << 10) | (m - 1024));
    }

    /** The float a (finite) half stands for. */
    public static float toFloat(short h) {
        int sign = (h & 0x8000) != 0 ? -1 : 1;
        int e = (h >>> 10) & 0x1F;
        int m = h & 0x3FF;
        if (e == 0) {
            return sign * Math.scalb((float) m, -24);
        }
        return sign * Math.scalb((float) (1024 + m), e - 25);
    }

}
