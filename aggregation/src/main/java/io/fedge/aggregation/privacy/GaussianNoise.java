package io.fedge.aggregation.privacy;

import java.util.Objects;
import java.util.Random;

/**
 * Adds i.i.d. {@code N(0, stddev^2)} noise to float vectors, chunk by chunk: the noise of the
 * Gaussian mechanism on a clipped sum ({@code stddev = noise multiplier * clipping bound}).
 *
 * <p>The draws come from the caller's {@link Random} via {@link Random#nextGaussian()}:
 * production passes a {@link java.security.SecureRandom} (a predictable generator would let the
 * noise be subtracted again), tests a seeded {@code Random}. Each value is perturbed in double and
 * rounded once to float. A stddev of 0 leaves the values untouched and draws nothing.
 *
 * <p>Not thread-safe unless the {@code Random} is (and then the order of the draws is not fixed).
 */
public final class GaussianNoise {
    private final double stddev;
    private final Random random;

    /**
     * @throws IllegalArgumentException if stddev is negative, NaN or infinite
     */
    public GaussianNoise(double stddev, Random random) {
        if (!(stddev >= 0) || stddev == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("noise stddev must be finite and non-negative: " + stddev);
        }
        this.stddev = stddev;
        this.random = Objects.requireNonNull(random, "random");
    }

    /** The standard deviation of each draw. */
    public double stddev() {
        return stddev;
    }

    /** Adds one draw to each of {@code values[offset .. offset + length)}. */
    public void addTo(float[] values, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, values.length);
        if (stddev == 0) {
            return;
        }
        for (int i = offset; i < offset + length; i++) {
            values[i] = (float) (values[i] + stddev * random.nextGaussian());
        }
    }
}
