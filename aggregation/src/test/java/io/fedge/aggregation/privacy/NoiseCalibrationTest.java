package io.fedge.aggregation.privacy;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NoiseCalibrationTest {
    private static double epsilon(double sigma, double delta, int rounds, double q) {
        RdpAccountant acc = new RdpAccountant();
        acc.step(q, sigma, rounds);
        return acc.epsilon(delta).epsilon();
    }

    @Test
    void smallestMultiplierWithinTheBudget() {
        // A cross-device setting: 1000 rounds, 100 of 100,000 clients per round, (3, 1e-6).
        double[][] cases = { // target eps, delta, rounds, q
            {3, 1e-6, 1000, 1e-3},
            {1, 1e-5, 200, 0.02},
            {8, 1e-5, 50, 0.5},
            {0.5, 1e-5, 1, 1.0},
        };
        for (double[] c : cases) {
            double sigma = NoiseCalibration.noiseMultiplier(c[0], c[1], (int) c[2], c[3]);
            double at = epsilon(sigma, c[1], (int) c[2], c[3]);
            double below = epsilon(0.99 * sigma, c[1], (int) c[2], c[3]);
            String what = "target " + c[0] + ": sigma " + sigma + " gives " + at + ", 0.99 sigma gives " + below;
            assertTrue(at <= c[0], what);
            assertTrue(below > c[0], what);
            assertTrue(epsilon(sigma * (1 - NoiseCalibration.RELATIVE_TOLERANCE), c[1], (int) c[2], c[3]) > c[0], what);
        }
    }

    /**
     * pytorch/opacus, opacus/tests/accountants_test.py, test_get_noise_multiplier_rdp_epochs:
     * target eps 8, delta 1e-5, sample rate 0.04, 90 epochs (int(90 / 0.04) = 2250 steps) gives
     * 1.416 (places=4). Opacus's bisection stops once eps is within 0.01 below the target, so its
     * 1.416 reaches the budget and the smallest multiplier lies at or below it: ours, within 0.1%
     * above the smallest, is at most 1.416 * 1.001, and 1.416 itself is within the budget here too.
     */
    @Test
    void agreesWithOpacusGetNoiseMultiplier() {
        double sigma = NoiseCalibration.noiseMultiplier(8, 1e-5, 2250, 0.04);
        assertTrue(epsilon(1.416, 1e-5, 2250, 0.04) <= 8);
        assertTrue(sigma <= 1.416 * 1.001, "sigma " + sigma);
        assertTrue(epsilon(sigma, 1e-5, 2250, 0.04) <= 8);
        assertTrue(epsilon(0.99 * sigma, 1e-5, 2250, 0.04) > 8);
    }

    @Test
    void refusesBadTargets() {
        assertThrows(IllegalArgumentException.class, () -> NoiseCalibration.noiseMultiplier(0, 1e-5, 10, 0.1));
        assertThrows(IllegalArgumentException.class, () -> NoiseCalibration.noiseMultiplier(1, 0, 10, 0.1));
        assertThrows(IllegalArgumentException.class, () -> NoiseCalibration.noiseMultiplier(1, 1e-5, 0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> NoiseCalibration.noiseMultiplier(1, 1e-5, 10, 0));
        // With orders up to 63, the improved conversion cannot give less than (RDP -> 0) about
        // log(62/63) - (log(1e-5) + log(63)) / 62 = -0.0160 + (11.5129 - 4.1431) / 62 = 0.1029,
        // so a target of 0.05 needs the KL bound, delta^2 > 1 - exp(-rdp) at some order, i.e.
        // rdp < 1e-10 at the smallest order 1.1. At q = 1 over 1000 rounds that is
        // 1000 * 1.1 / (2 sigma^2) < 1e-10, sigma > sqrt(5.5e12) = 2.35e6: past MAX_SIGMA (1e6).
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoiseCalibration.noiseMultiplier(0.05, 1e-5, 1000, 1.0));
        assertTrue(e.getMessage().contains("no noise multiplier"), e.getMessage());
    }
}
