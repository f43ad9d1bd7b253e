package io.fedge.aggregation.privacy;

import java.util.Objects;

/**
 * L2 clipping, the step that bounds each client's contribution before DP noise is added: a vector
 * whose L2 norm exceeds the bound is scaled down to norm {@code bound}, a vector within it is left
 * exactly as it is. Norms are accumulated in double (each float square is exact in a double), and
 * a scaled element is rounded to float once, so a clipped vector's norm exceeds the bound by at
 * most a few float roundings (relative 1e-7), far below the noise.
 *
 * <p>For updates that arrive in chunks, add {@link #sumOfSquares} over the chunks, take the square
 * root, and multiply each chunk by {@link #scale}.
 */
public final class L2Clip {
    private L2Clip() {
    }

    /**
     * The factor that brings a vector of L2 norm {@code norm} within {@code bound}:
     * {@code min(1, bound / norm)}, exactly 1 when {@code norm <= bound}.
     *
     * @throws IllegalArgumentException if bound is not positive and finite, or norm is negative,
     *     NaN or infinite
     */
    public static double scale(double norm, double bound) {
        checkBound(bound);
        if (!(norm >= 0) || norm == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("norm must be finite and non-negative: " + norm);
        }
        return norm <= bound ? 1.0 : bound / norm;
    }

    /** {@code sum v[i]^2} over {@code v[offset .. offset + length)}, in double. */
    public static double sumOfSquares(float[] v, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, v.length);
        double sum = 0;
        for (int i = offset; i < offset + length; i++) {
            double x = v[i];
            sum += x * x;
        }
        return sum;
    }

    /**
     * Clips {@code v} in place to L2 norm at most {@code bound} and returns its norm before
     * clipping. A vector within the bound is not written to.
     *
     * @throws IllegalArgumentException if bound is not positive and finite, or {@code v} holds a
     *     NaN or infinite element (its norm would be meaningless; the vector is then unchanged)
     */
    public static double clipInPlace(float[] v, double bound) {
        checkBound(bound);
        double norm = Math.sqrt(sumOfSquares(v, 0, v.length));
        if (!Double.isFinite(norm)) {
            throw new IllegalArgumentException("vector has a NaN or infinite element; its norm is " + norm);
        }
        double s = scale(norm, bound);
        if (s != 1.0) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] * s);
            }
        }
        return norm;
    }

    private static void checkBound(double bound) {
        if (!(bound > 0) || bound == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("clipping bound must be positive and finite: " + bound);
        }
    }
}
