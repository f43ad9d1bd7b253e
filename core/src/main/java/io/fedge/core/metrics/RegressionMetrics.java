package io.fedge.core.metrics;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A regression's errors per target: mean squared error and mean absolute error, each per target
 * and averaged over the targets. The mean squared error over examples and targets is the loss
 * (what DL4J's {@code MSE} loss reports, without regularization); a regression has no accuracy.
 * Immutable and thread-safe.
 */
public final class RegressionMetrics implements Metrics {
    private final long examples;
    private final double[] squaredErrorSums;
    private final double[] absoluteErrorSums;

    private RegressionMetrics(long examples, double[] squaredErrorSums, double[] absoluteErrorSums) {
        this.examples = examples;
        this.squaredErrorSums = squaredErrorSums;
        this.absoluteErrorSums = absoluteErrorSums;
    }

    /**
     * The errors of {@code predicted} against {@code actual}, both {@code n x targets} row-major.
     *
     * @throws IllegalArgumentException if the lengths differ or are not a multiple of {@code targets}
     */
    public static RegressionMetrics of(float[] actual, float[] predicted, int targets) {
        Objects.requireNonNull(actual, "actual");
        Objects.requireNonNull(predicted, "predicted");
        if (targets < 1) {
            throw new IllegalArgumentException("targets must be positive: " + targets);
        }
        if (actual.length != predicted.length || actual.length % targets != 0) {
            throw new IllegalArgumentException(actual.length + " target values and " + predicted.length
                    + " predictions, expected equal multiples of " + targets);
        }
        double[] se = new double[targets];
        double[] ae = new double[targets];
        for (int i = 0; i < actual.length; i++) {
            double d = (double) predicted[i] - actual[i];
            se[i % targets] += d * d;
            ae[i % targets] += Math.abs(d);
        }
        return new RegressionMetrics(actual.length / targets, se, ae);
    }

    /**
     * Metrics from sums: for each target the squared and the absolute errors summed over {@code examples}.
     *
     * @throws IllegalArgumentException if the arrays differ in length or are empty, or {@code examples} is negative
     */
    public static RegressionMetrics ofSums(long examples, double[] squaredErrorSums, double[] absoluteErrorSums) {
        if (examples < 0 || squaredErrorSums.length == 0 || squaredErrorSums.length != absoluteErrorSums.length) {
            throw new IllegalArgumentException("need examples >= 0 and equal, non-empty sums: " + examples + ", "
                    + squaredErrorSums.length + ", " + absoluteErrorSums.length);
        }
        return new RegressionMetrics(examples, squaredErrorSums.clone(), absoluteErrorSums.clone());
    }

    public int targets() {
        return squaredErrorSums.length;
    }

    @Override
    public long examples() {
        return examples;
    }

    @Override
    public Task task() {
        return Task.REGRESSION;
    }

    /** Target {@code t}'s squared errors summed over the examples. */
    public double squaredErrorSum(int t) {
        return squaredErrorSums[t];
    }

    /** Target {@code t}'s absolute errors summed over the examples. */
    public double absoluteErrorSum(int t) {
        return absoluteErrorSums[t];
    }

    /** The mean squared error of target {@code t}. */
    public double mse(int t) {
        return examples == 0 ? Double.NaN : squaredErrorSums[t] / examples;
    }

    /** The mean absolute error of target {@code t}. */
    public double mae(int t) {
        return examples == 0 ? Double.NaN : absoluteErrorSums[t] / examples;
    }

    /** The mean squared error over every example and target. */
    public double mse() {
        return mean(squaredErrorSums);
    }

    /** The mean absolute error over every example and target. */
    public double mae() {
        return mean(absoluteErrorSums);
    }

    private double mean(double[] sums) {
        if (examples == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double v : sums) {
            s += v;
        }
        return s / ((double) examples * sums.length);
    }

    /** The mean squared error: a regression's loss. */
    @Override
    public double loss() {
        return mse();
    }

    /** NaN: a regression has no accuracy. */
    @Override
    public double accuracy() {
        return Double.NaN;
    }

    @Override
    public RegressionMetrics merge(Metrics other) {
        if (!(other instanceof RegressionMetrics o) || o.targets() != targets()) {
            throw new IllegalArgumentException("cannot merge the metrics of " + targets() + " targets with " + other);
        }
        double[] se = squaredErrorSums.clone();
        double[] ae = absoluteErrorSums.clone();
        for (int t = 0; t < se.length; t++) {
            se[t] += o.squaredErrorSums[t];
            ae[t] += o.absoluteErrorSums[t];
        }
        return new RegressionMetrics(examples + o.examples, se, ae);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Keys: {@code mse}, {@code mae}, and for each target {@code t} {@code mse/t} and {@code mae/t}.
     */
    @Override
    public Map<String, Double> toMap() {
        Map<String, Double> m = new TreeMap<>();
        m.put("mse", mse());
        m.put("mae", mae());
        for (int t = 0; t < targets(); t++) {
            m.put("mse/" + t, mse(t));
            m.put("mae/" + t, mae(t));
        }
        return m;
    }

    @Override
    public String toString() {
        return "RegressionMetrics[" + targets() + " targets, " + examples + " examples]";
    }
}
