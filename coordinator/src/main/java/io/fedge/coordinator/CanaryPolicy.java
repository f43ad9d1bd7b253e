package io.fedge.coordinator;

import java.util.Objects;

/**
 * How new edge models are tried on part of the inference fleet before they are released: the
 * share of devices that get the canary ({@link CanarySplit}), the test that decides it
 * ({@link CanaryTest}), and how many labelled inferences one device may add to either version's
 * count (so one device that lies moves the test by a bounded amount).
 *
 * @param fraction     the canary's share of devices, in (0, 1)
 * @param test         the statistical test
 * @param perDeviceCap labelled inferences counted per device and version, at least 1
 */
public record CanaryPolicy(double fraction, CanaryTest test, long perDeviceCap) {
    public CanaryPolicy {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("the canary fraction must be in (0, 1), not " + fraction);
        }
        Objects.requireNonNull(test, "test");
        if (perDeviceCap < 1) {
            throw new IllegalArgumentException("perDeviceCap must be at least 1: " + perDeviceCap);
        }
    }

    /** {@code fraction} of devices, the default test, and each device counting at most a twentieth of the last look. */
    public static CanaryPolicy of(double fraction) {
        return new CanaryPolicy(fraction, CanaryTest.DEFAULT, Math.max(1, CanaryTest.DEFAULT.maxTrials() / 20));
    }
}
