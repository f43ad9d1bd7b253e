package io.fedge.aggregation.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AdaptiveClippingTest {
    @Test
    void oneNoiselessStepByHand() {
        // C = 0.5, gamma = 0.5, eta = 0.2, sigma_b = 0; 3 of 10 clients unclipped:
        // b = 3 / 10 = 0.3; C' = 0.5 * exp(-0.2 * (0.3 - 0.5)) = 0.5 * exp(0.04)
        //   = 0.5 * 1.0408107741923882 = 0.5204053870961941
        AdaptiveClipping clip = new AdaptiveClipping(0.5, 0.5, 0.2, 0);
        assertEquals(0.5204053870961941, clip.update(3, 10, null), 1e-16);
        assertEquals(0.5204053870961941, clip.bound(), 1e-16);
        // then 8 of 10: b = 0.8; C'' = C' * exp(-0.2 * 0.3) = C' * exp(-0.06)
        //   = 0.5204053870961941 * 0.9417645335842487 = 0.4900993366533776
        assertEquals(0.5204053870961941 * 0.9417645335842487, clip.update(8, 10, null), 1e-16);
    }

    @Test
    void boundRisesWhenTooManyAreClippedAndFallsWhenTooFew() {
        double c = 2.0;
        // gamma m = 0.5 * 20 = 10: fewer unclipped (too many clipped) raises the bound...
        for (int unclipped = 0; unclipped < 10; unclipped++) {
            AdaptiveClipping clip = new AdaptiveClipping(c, 0.5, 0.2, 0);
            assertTrue(clip.update(unclipped, 20, null) > c, "unclipped " + unclipped);
        }
        // ...exactly gamma m leaves it: exp(-0.2 * 0) = 1...
        assertEquals(c, new AdaptiveClipping(c, 0.5, 0.2, 0).update(10, 20, null), 0.0);
        // ...more lowers it.
        for (int unclipped = 11; unclipped <= 20; unclipped++) {
            AdaptiveClipping clip = new AdaptiveClipping(c, 0.5, 0.2, 0);
            assertTrue(clip.update(unclipped, 20, null) < c, "unclipped " + unclipped);
        }
    }

    @Test
    void noiseOnTheCountIsOneGaussianDraw() {
        // sigma_b = 2 (m / 20 for m = 40): b = (count + 2 * g) / 40 with g the first nextGaussian()
        AdaptiveClipping clip = new AdaptiveClipping(1.0, 0.5, 0.2, 2.0);
        double g = new Random(99).nextGaussian();
        double expected = Math.exp(-0.2 * ((25 + 2.0 * g) / 40 - 0.5));
        assertEquals(expected, clip.update(25, 40, new Random(99)), 1e-15);
    }

    @Test
    void noiseMultiplierSplitByHand() {
        // z = 1, sigma_b = 10: z_delta = (1^-2 - (2 * 10)^-2)^(-1/2) = (1 - 1/400)^(-1/2)
        //   = 0.9975^(-1/2) = 1 / 0.998749217771909 = 1.0012523486435176
        assertEquals(1.0012523486435176, AdaptiveClipping.updateNoiseMultiplier(1, 10), 1e-15);
        // z = 2, sigma_b = 2: (1/4 - 1/16)^(-1/2) = (3/16)^(-1/2) = 4 / sqrt(3) = 2.3094010767585034
        assertEquals(4 / Math.sqrt(3), AdaptiveClipping.updateNoiseMultiplier(2, 2), 1e-15);
        // no noise on the count costs nothing only in the limit sigma_b -> infinity
        assertEquals(1.3, AdaptiveClipping.updateNoiseMultiplier(1.3, Double.POSITIVE_INFINITY), 0.0);
        // sigma_b = z / 2 leaves nothing for the update; below, less than nothing
        IllegalArgumentException atHalf = assertThrows(IllegalArgumentException.class,
                () -> AdaptiveClipping.updateNoiseMultiplier(1, 0.5));
        assertTrue(atHalf.getMessage().contains("too small"), atHalf.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AdaptiveClipping.updateNoiseMultiplier(1, 0.4));
        assertThrows(IllegalArgumentException.class, () -> AdaptiveClipping.updateNoiseMultiplier(1, 0));
        assertThrows(IllegalArgumentException.class, () -> AdaptiveClipping.updateNoiseMultiplier(0, 1));
    }

    @Test
    void stateRoundTripsAndCorruptStateIsRefused() {
        AdaptiveClipping clip = new AdaptiveClipping(0.5, 0.5, 0.2, 0);
        clip.update(3, 10, null);
        byte[] state = clip.state();
        assertEquals(1 + 8 + 4, state.length);
        AdaptiveClipping other = new AdaptiveClipping(7.0, 0.5, 0.2, 0);
        other.restore(state);
        assertEquals(clip.bound(), other.bound(), 0.0);

        AdaptiveClipping target = new AdaptiveClipping(3.0, 0.5, 0.2, 0);
        byte[] flipped = state.clone();
        flipped[4] ^= 1;
        assertMessage("checksum", () -> target.restore(flipped));
        byte[] version = state.clone();
        version[0] = 9;
        assertMessage("version 9", () -> target.restore(version));
        assertMessage("expected 13", () -> target.restore(new byte[12]));
        // a checksummed zero bound is still refused
        AdaptiveClipping tiny = new AdaptiveClipping(Double.MIN_VALUE, 0.5, 0.2, 0);
        byte[] zero = tiny.state();
        java.nio.ByteBuffer.wrap(zero).putDouble(1, 0.0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(zero, 0, 9);
        java.nio.ByteBuffer.wrap(zero).putInt(9, (int) crc.getValue());
        assertMessage("invalid bound", () -> target.restore(zero));
        assertEquals(3.0, target.bound(), 0.0, "unchanged after refusals");
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveClipping(0, 0.5, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveClipping(1, 1.5, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveClipping(1, 0.5, -0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveClipping(1, 0.5, 0.2, -1));
        AdaptiveClipping clip = new AdaptiveClipping(1, 0.5, 0.2, 0);
        assertThrows(IllegalArgumentException.class, () -> clip.update(1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> clip.update(11, 10, null));
        assertThrows(IllegalArgumentException.class, () -> clip.update(-1, 10, null));
        AdaptiveClipping noisy = new AdaptiveClipping(1, 0.5, 0.2, 1);
        assertThrows(NullPointerException.class, () -> noisy.update(1, 10, null));
        assertThrows(IllegalArgumentException.class, () -> AdaptiveClipping.nextBound(1, 0.5, 1e6, -1e3));
        assertEquals(1.0, clip.bound(), 0.0);
    }

    private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
