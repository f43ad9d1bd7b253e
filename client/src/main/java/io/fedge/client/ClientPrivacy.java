package io.fedge.client;

import java.util.Random;

/**
 * Client-side differential privacy of an update (DP-FedAvg, McMahan et al. 2018; distributed
 * Gaussian noise): the update is clipped to an L2 norm, then every coordinate gets independent
 * Gaussian noise {@code N(0, stddev^2)}. Only the first {@code length} values are touched: under
 * SCAFFOLD the model delta, not the control-variate delta that follows it.
 */
final class ClientPrivacy {
    private ClientPrivacy() {
    }

    /**
     * Clips {@code v[0 .. length)} to L2 norm {@code clip} (when larger; 0 is no clipping) and adds
     * {@code stddev * rng.nextGaussian()} to each of those values (0 is no noise), in place.
     *
     * @return the norm before clipping
     */
    static double apply(float[] v, int length, double clip, double stddev, Random rng) {
        double sumSquares = 0;
        for (int i = 0; i < length; i++) {
            sumSquares += (double) v[i] * v[i];
        }
        double norm = Math.sqrt(sumSquares);
        if (clip > 0 && norm > clip) {
            double scale = clip / norm;
            for (int i = 0; i < length; i++) {
                v[i] = (float) (v[i] * scale);
            }
        }
        if (stddev > 0) {
            for (int i = 0; i < length; i++) {
                v[i] = (float) (v[i] + stddev * rng.nextGaussian());
            }
        }
        return norm;
    }
}
