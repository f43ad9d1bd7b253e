package io.fedge.aggregation.privacy;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Adaptive clipping for DP-FedAvg: Andrew, Thakkar, McMahan and Ramaswamy, "Differentially Private
 * Learning with Adaptive Clipping" (NeurIPS 2021). The clipping bound {@code C} follows a target
 * quantile {@code gamma} of the clients' update norms by the geometric update
 * <pre>  b = (unclippedCount + N(0, sigma_b^2)) / m        C' = C * exp(-eta_C * (b - gamma))</pre>
 * where {@code unclippedCount} is how many of the {@code m} reporting clients had an update norm
 * at most {@code C} (before clipping) and {@code sigma_b} is the stddev of the noise on that count.
 * Fewer unclipped clients than {@code gamma * m} raise the bound, more lower it.
 *
 * <p>The noised count is a second Gaussian query on the same clients. By the paper's Theorem 1,
 * the round as a whole is the Gaussian mechanism with noise multiplier {@code z} (the one to give
 * the {@link RdpAccountant}) when the update itself is noised with multiplier
 * {@link #updateNoiseMultiplier z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2)}: the count's
 * contributions, centred as {@code b_i - 1/2}, have sensitivity 1/2, so its multiplier is
 * {@code 2 sigma_b}, and independent Gaussian queries compose as {@code z^-2 = z_delta^-2 + (2 sigma_b)^-2}.
 * The paper suggests {@code sigma_b = m / 20}, {@code gamma = 0.5}, {@code eta_C = 0.2}.
 *
 * <p>The state is the current bound: {@link #state()} writes a version byte, the bound (double,
 * big-endian) and a CRC-32 of both; {@link #restore} refuses anything else. Mutable and not
 * thread-safe.
 */
public final class AdaptiveClipping {
    /** The version byte {@link #state()} writes. */
    public static final byte STATE_VERSION = 1;
    private static final int STATE_BYTES = 1 + Double.BYTES + Integer.BYTES;

    private final double targetQuantile;
    private final double learningRate;
    private final double countStddev;
    private double bound;

    /**
     * @param initialBound the first clipping bound C, positive and finite
     * @param targetQuantile gamma, in [0, 1]
     * @param learningRate eta_C, non-negative and finite
     * @param countStddev sigma_b, the stddev of the noise on the unclipped count; non-negative and
     *     finite (0 releases the count without noise, which is not differentially private)
     */
    public AdaptiveClipping(double initialBound, double targetQuantile, double learningRate, double countStddev) {
        checkBound(initialBound);
        if (!(targetQuantile >= 0 && targetQuantile <= 1)) {
            throw new IllegalArgumentException("target quantile must be in [0, 1]: " + targetQuantile);
        }
        if (!(learningRate >= 0) || learningRate == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("learning rate must be finite and non-negative: " + learningRate);
        }
        if (!(countStddev >= 0) || countStddev == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("count noise stddev must be finite and non-negative: " + countStddev);
        }
        this.bound = initialBound;
        this.targetQuantile = targetQuantile;
        this.learningRate = learningRate;
        this.countStddev = countStddev;
    }

    /** The current clipping bound C. */
    public double bound() {
        return bound;
    }

    /** The target quantile gamma. */
    public double targetQuantile() {
        return targetQuantile;
    }

    /** The learning rate eta_C. */
    public double learningRate() {
        return learningRate;
    }

    /** The stddev sigma_b of the noise on the unclipped count. */
    public double countStddev() {
        return countStddev;
    }

    /**
     * Moves the bound after a round in which {@code unclippedCount} of {@code reporting} clients
     * had an update norm at most {@link #bound()}, noising the count with one
     * {@code random.nextGaussian()} (none when sigma_b is 0), and returns the new bound.
     *
     * @throws IllegalArgumentException if reporting is below 1 or unclippedCount is outside
     *     [0, reporting]
     */
    public double update(int unclippedCount, int reporting, Random random) {
        if (reporting < 1) {
            throw new IllegalArgumentException("at least one client must report: " + reporting);
        }
        if (unclippedCount < 0 || unclippedCount > reporting) {
            throw new IllegalArgumentException(
                    "unclipped count " + unclippedCount + " is outside [0, " + reporting + "]");
        }
        double noise = countStddev == 0 ? 0 : countStddev * Objects.requireNonNull(random, "random").nextGaussian();
        double fraction = (unclippedCount + noise) / reporting;
        bound = nextBound(bound, targetQuantile, learningRate, fraction);
        return bound;
    }

    /**
     * The geometric update {@code bound * exp(-learningRate * (unclippedFraction - targetQuantile))}
     * for a (noised) unclipped fraction.
     *
     * @throws IllegalArgumentException if the result is not positive and finite (a bound driven to 0
     *     or infinity by an extreme learning rate cannot recover)
     */
    public static double nextBound(double bound, double targetQuantile, double learningRate, double unclippedFraction) {
        checkBound(bound);
        double next = bound * Math.exp(-learningRate * (unclippedFraction - targetQuantile));
        if (!(next > 0) || next == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("clipping bound update from " + bound + " gives " + next
                    + " (learning rate " + learningRate + ", unclipped fraction " + unclippedFraction + ")");
        }
        return next;
    }

    /**
     * Theorem 1's noise multiplier for the update, {@code z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2)},
     * when the whole round is to have multiplier {@code z} and the unclipped count is noised with
     * stddev {@code sigma_b} (an infinite sigma_b leaves {@code z}).
     *
     * @throws IllegalArgumentException if z is not positive and finite, or sigma_b is at most
     *     {@code z / 2}: the count alone would then spend the whole budget (or more)
     */
    public static double updateNoiseMultiplier(double z, double countStddev) {
        if (!(z > 0) || z == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("noise multiplier z must be positive and finite: " + z);
        }
        if (!(countStddev >= 0)) {
            throw new IllegalArgumentException("count noise stddev must be non-negative: " + countStddev);
        }
        double twoSigmaB = 2 * countStddev;
        if (!(twoSigmaB > z)) {
            throw new IllegalArgumentException("count noise stddev " + countStddev + " is too small for noise multiplier "
                    + z + ": it must exceed z/2 = " + z / 2
                    + ", or the noised count alone spends the whole privacy budget of multiplier z");
        }
        double rest = 1 / (z * z) - 1 / (twoSigmaB * twoSigmaB);
        return 1 / Math.sqrt(rest);
    }

    /** The current bound, serialized as the class comment describes. */
    public byte[] state() {
        ByteBuffer buf = ByteBuffer.allocate(STATE_BYTES);
        buf.put(STATE_VERSION).putDouble(bound);
        CRC32 crc = new CRC32();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        return buf.array();
    }

    /**
     * Sets the bound to the one held in {@code state}.
     *
     * @throws IllegalArgumentException if the buffer has the wrong length, version or checksum, or
     *     its bound is not positive and finite; the bound is then unchanged
     */
    public void restore(byte[] state) {
        if (state.length != STATE_BYTES) {
            throw new IllegalArgumentException(
                    "adaptive clipping state has " + state.length + " bytes, expected " + STATE_BYTES);
        }
        ByteBuffer buf = ByteBuffer.wrap(state);
        byte version = buf.get();
        if (version != STATE_VERSION) {
            throw new IllegalArgumentException(
                    "adaptive clipping state has version " + version + ", expected " + STATE_VERSION);
        }
        double restored = buf.getDouble();
        CRC32 crc = new CRC32();
        crc.update(state, 0, STATE_BYTES - Integer.BYTES);
        if (buf.getInt() != (int) crc.getValue()) {
            throw new IllegalArgumentException("adaptive clipping state fails its checksum (corrupt)");
        }
        try {
            checkBound(restored);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("adaptive clipping state holds an invalid bound: " + e.getMessage(), e);
        }
        bound = restored;
    }

    private static void checkBound(double bound) {
        if (!(bound > 0) || bound == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("clipping bound must be positive and finite: " + bound);
        }
    }
}
