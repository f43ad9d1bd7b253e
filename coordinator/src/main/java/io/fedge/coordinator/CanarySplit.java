package io.fedge.coordinator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Which inference devices run the canary: a device is in when the SHA-256 of the canary's salt
 * (its model version) and the device id, read as a number in [0, 1), is below the fraction. The
 * same device gets the same answer on every fetch of the same canary, a new canary draws a new
 * subset, and no state is kept per device.
 *
 * @param fraction the share of devices that get the canary, in [0, 1]
 * @param salt     what makes one canary's subset independent of another's (its model version)
 */
public record CanarySplit(double fraction, long salt) {
    public CanarySplit {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("the canary fraction must be in [0, 1], not " + fraction);
        }
    }

    /** Whether {@code deviceId} gets the canary. */
    public boolean canary(String deviceId) {
        return bucket(salt, deviceId) < fraction;
    }

    /** The device's position in [0, 1) for this salt. */
    static double bucket(long salt, String deviceId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ByteBuffer.allocate(8).putLong(salt).array());
            byte[] d = sha.digest(deviceId.getBytes(StandardCharsets.UTF_8));
            long top = ByteBuffer.wrap(d, 0, 8).getLong() >>> 11; // 53 bits
            return top / (double) (1L << 53);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }
}
