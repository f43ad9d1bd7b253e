package io.fedge.core.model.lean;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Batch normalization in training mode, DL4J's {@code BatchNormalization} layer (NCHW images or
 * rows, learned {@code gamma} and {@code beta}): per channel {@code c}, over the batch (and, for
 * images, over every position of the channel's maps, {@code N} values in all),
 *
 * <pre>
 * mu = mean(x),  var = mean((x - mu)^2),  xhat = (x - mu) / sqrt(var + eps),  y = gamma xhat + beta
 * </pre>
 *
 * Backward, from {@code dy}: {@code dgamma = sum(dy xhat)}, {@code dbeta = sum(dy)},
 * {@code dx = gamma / (N sqrt(var + eps)) (N dy - sum(dy) - xhat sum(dy xhat))}.
 *
 * <p>The running statistics are parameters DL4J trains through the gradient, with a {@code NoOp}
 * updater and no division by the batch size, so that {@code w -= g} moves them to
 * {@code decay w + (1 - decay) batch}: their "gradient" here is DL4J's,
 * {@code (1 - decay) (mean_run - mu)} and {@code (1 - decay) (var_run - var)}, or, with the
 * variance kept as {@code log10} of the standard deviation,
 * {@code log10(var_run / (decay var_run + (1 - decay) var)) / 2}. Listeners see them in the
 * flattened gradient as in DL4J's loop.
 *
 * <p>Rows are column-major {@code [n, C]} (as the dense layers' outputs), images row-major
 * {@code [n, C, H, W]}; the output has the input's layout. Sums are taken in double; the work is
 * on heap copies, one bulk copy each way.
 */
final class LeanBatchNorm implements LeanLayer {
    private final int channels;
    /** Values per channel per example: 1 for rows, {@code H * W} for images. */
    private final int spatial;
    private final boolean images;
    private final double eps;
    private final double decay;
    private final boolean logStd;
    /** Where gamma, beta, the running mean and the running variance (or log10 std) start in the flat vectors. */
    private final int gammaAt;
    private final int betaAt;
    private final int meanAt;
    private final int varAt;
    private final FloatBuffer parameters;
    private final FloatBuffer gradient;
    private final BatchBuffer outputs;
    private final BatchBuffer outputGradients;
    private final float[] gamma;
    private final float[] beta;
    private final float[] gammaGradient;
    private final float[] betaGradient;
    private final float[] scratch;
    private final double[] batchMean;
    private final double[] batchVariance;
    private final double[] inverseStd;
    /** The normalized input (kept for the backward) and the output, then the gradient being back-propagated. */
    private float[] xhat = new float[0];
    private float[] work = new float[0];
    private int n;

    LeanBatchNorm(int channels, int spatial, boolean images, double eps, double decay, boolean logStd,
                  int gammaAt, int betaAt, int meanAt, int varAt, FloatBuffer parameters, FloatBuffer gradient,
                  BatchBuffer outputs, BatchBuffer outputGradients) {
        this.channels = channels;
        this.spatial = spatial;
        this.images = images;
        this.eps = eps;
        this.decay = decay;
        this.logStd = logStd;
        this.gammaAt = gammaAt;
        this.betaAt = betaAt;
        this.meanAt = meanAt;
        this.varAt = varAt;
        this.parameters = parameters;
        this.gradient = gradient;
        this.outputs = outputs;
        this.outputGradients = outputGradients;
        this.gamma = new float[channels];
        this.beta = new float[channels];
        this.gammaGradient = new float[channels];
        this.betaGradient = new float[channels];
        this.scratch = new float[channels];
        this.batchMean = new double[channels];
        this.batchVariance = new double[channels];
        this.inverseStd = new double[channels];
    }

    /** Over column-major {@code [n, width]} rows. */
    static LeanBatchNorm rows(int width, double eps, double decay, boolean logStd, int gammaAt, int betaAt,
                              int meanAt, int varAt, FloatBuffer parameters, FloatBuffer gradient) {
        return new LeanBatchNorm(width, 1, false, eps, decay, logStd, gammaAt, betaAt, meanAt, varAt, parameters,
                gradient, BatchBuffer.columns(width), BatchBuffer.columns(width));
    }

    /** Over row-major {@code [n, channels, height, width]} images. */
    static LeanBatchNorm images(int channels, int height, int width, double eps, double decay, boolean logStd,
                                int gammaAt, int betaAt, int meanAt, int varAt, FloatBuffer parameters,
                                FloatBuffer gradient) {
        return new LeanBatchNorm(channels, height * width, true, eps, decay, logStd, gammaAt, betaAt, meanAt, varAt,
                parameters, gradient, BatchBuffer.images(channels, height, width),
                BatchBuffer.images(channels, height, width));
    }

    /** Where channel {@code c}'s values for example block {@code b} start (a run of {@link #run} values). */
    private int start(int c, int b) {
        return images ? (b * channels + c) * spatial : c * n;
    }

    /** The blocks of a channel: one run of {@code n} values for rows, {@code n} runs of {@code H * W} for images. */
    private int blocks() {
        return images ? n : 1;
    }

    private int run() {
        return images ? spatial : n;
    }

    @Override
    public INDArray forward(INDArray x, int examples) {
        this.n = examples;
        int length = examples * channels * spatial;
        if (xhat.length < length) {
            xhat = new float[length];
            work = new float[length];
        }
        HostFloats.buffer(x).get(0, xhat, 0, length);
        parameters.get(gammaAt, gamma, 0, channels);
        parameters.get(betaAt, beta, 0, channels);
        int blocks = blocks();
        int run = run();
        double count = (double) examples * spatial;
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int b = 0; b < blocks; b++) {
                for (int k = start(c, b), end = k + run; k < end; k++) {
                    sum += xhat[k];
                }
            }
            double mean = sum / count;
            double squares = 0;
            for (int b = 0; b < blocks; b++) {
                for (int k = start(c, b), end = k + run; k < end; k++) {
                    double d = xhat[k] - mean;
                    squares += d * d;
                }
            }
            double variance = squares / count;
            double inverse = 1.0 / Math.sqrt(variance + eps);
            batchMean[c] = mean;
            batchVariance[c] = variance;
            inverseStd[c] = inverse;
            float m = (float) mean;
            float s = (float) inverse;
            float g = gamma[c];
            float bt = beta[c];
            for (int b = 0; b < blocks; b++) {
                for (int k = start(c, b), end = k + run; k < end; k++) {
                    float h = (xhat[k] - m) * s;
                    xhat[k] = h;
                    work[k] = g * h + bt;
                }
            }
        }
        INDArray y = outputs.rows(examples);
        HostFloats.write(work, outputs.host(), length);
        return y;
    }

    @Override
    public INDArray outputGradient(int examples) {
        return outputGradients.rows(examples);
    }

    @Override
    public void backward(INDArray below) {
        int length = n * channels * spatial;
        outputGradients.rows(n);
        HostFloats.read(outputGradients.host(), work, length);
        int blocks = blocks();
        int run = run();
        double count = (double) n * spatial;
        for (int c = 0; c < channels; c++) {
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int b = 0; b < blocks; b++) {
                for (int k = start(c, b), end = k + run; k < end; k++) {
                    sumDy += work[k];
                    sumDyXhat += work[k] * (double) xhat[k];
                }
            }
            betaGradient[c] = (float) sumDy;
            gammaGradient[c] = (float) sumDyXhat;
            if (below != null) {
                // gamma / std (dy - mean(dy) - xhat mean(dy xhat)): the formula above divided through by N
                float scale = (float) (gamma[c] * inverseStd[c]);
                float meanDy = (float) (sumDy / count);
                float meanDyXhat = (float) (sumDyXhat / count);
                for (int b = 0; b < blocks; b++) {
                    for (int k = start(c, b), end = k + run; k < end; k++) {
                        work[k] = scale * (work[k] - meanDy - xhat[k] * meanDyXhat);
                    }
                }
            }
        }
        gradient.put(gammaAt, gammaGradient, 0, channels);
        gradient.put(betaAt, betaGradient, 0, channels);
        // the running statistics, read as they are now (nothing changed them since the forward)
        parameters.get(meanAt, scratch, 0, channels);
        for (int c = 0; c < channels; c++) {
            scratch[c] = (float) ((1 - decay) * (scratch[c] - batchMean[c]));
        }
        gradient.put(meanAt, scratch, 0, channels);
        parameters.get(varAt, scratch, 0, channels);
        for (int c = 0; c < channels; c++) {
            if (logStd) {
                double running = Math.pow(10, 2.0 * scratch[c]);
                double next = decay * running + (1 - decay) * batchVariance[c];
                scratch[c] = (float) (Math.log10(running / next) / 2);
            } else {
                scratch[c] = (float) ((1 - decay) * (scratch[c] - batchVariance[c]));
            }
        }
        gradient.put(varAt, scratch, 0, channels);
        if (below != null) {
            HostFloats.buffer(below).put(0, work, 0, length);
        }
    }

    @Override
    public String describe() {
        return "batchnorm " + channels + (images ? " maps" : "") + (logStd ? " log10-std" : "");
    }
}
