package io.fedge.export;

/**
 * Folds an inference-mode BatchNorm into the convolution or dense layer before it: with
 * {@code k = gamma / std} per channel, {@code w' = w * k} and {@code b' = (b - mean) * k + beta},
 * so {@code w' x + b'} is the normalized {@code w x + b}. DL4J's {@code std} is
 * {@code sqrt(var + eps)}, where it stores the variance, or {@code sqrt(10^(2 log10stdev) + eps)}
 * where it stores the log of the standard deviation ({@code useLogStd}, its default). Stateless.
 */
final class BatchNormFolding {
    private BatchNormFolding() {
    }

    /** Folded weights and biases. */
    record Folded(float[] w, float[] b) {
    }

    /** The denominators {@code sqrt(var + eps)}. */
    static double[] fromVariance(float[] var, double eps) {
        double[] std = new double[var.length];
        for (int i = 0; i < var.length; i++) {
            std[i] = Math.sqrt(var[i] + eps);
        }
        return std;
    }

    /** The denominators {@code sqrt(10^(2 log10stdev) + eps)}: DL4J adds eps to the variance the log gives. */
    static double[] fromLog10Std(float[] log10std, double eps) {
        double[] std = new double[log10std.length];
        for (int i = 0; i < log10std.length; i++) {
            std[i] = Math.sqrt(Math.pow(10, 2.0 * log10std[i]) + eps);
        }
        return std;
    }

    /**
     * @param w output-major weights: {@code channels} blocks of equal length
     * @param b one bias per channel
     * @param std the per-channel denominator ({@link #fromVariance}, {@link #fromLog10Std})
     */
    static Folded fold(float[] w, float[] b, float[] gamma, float[] beta, float[] mean, double[] std) {
        int channels = b.length;
        if (gamma.length != channels || beta.length != channels || mean.length != channels || std.length != channels
                || w.length % channels != 0) {
            throw new IllegalArgumentException("BatchNorm over " + gamma.length + " channels after a layer of "
                    + channels + " outputs");
        }
        int per = w.length / channels;
        float[] fw = new float[w.length];
        float[] fb = new float[channels];
        for (int o = 0; o < channels; o++) {
            double k = gamma[o] / std[o];
            for (int j = o * per; j < (o + 1) * per; j++) {
                fw[j] = (float) (w[j] * k);
            }
            fb[o] = (float) ((b[o] - mean[o]) * k + beta[o]);
        }
        return new Folded(fw, fb);
    }
}
