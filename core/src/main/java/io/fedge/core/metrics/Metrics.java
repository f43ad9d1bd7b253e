package io.fedge.core.metrics;

import java.util.Map;

/**
 * What an evaluation measured, kept as sums so that the metrics of disjoint parts of a data set
 * {@link #merge} into exactly the metrics of the whole. Implementations are immutable and thread-safe.
 */
public sealed interface Metrics permits ClassificationMetrics, RegressionMetrics {
    /** How many examples were evaluated. */
    long examples();

    /** The mean loss per example: cross-entropy for a classifier, mean squared error for a regression. NaN without examples. */
    double loss();

    /** The fraction classified correctly; NaN for a regression (it has no accuracy) or without examples. */
    double accuracy();

    /** The task these metrics measure. */
    Task task();

    /**
     * The metrics of this part and {@code other} together.
     *
     * @throws IllegalArgumentException if {@code other} measures another task or another number of classes or targets
     */
    Metrics merge(Metrics other);

    /**
     * The metrics as flat named numbers, as the coordinator's round record and store keep them
     * ({@code macro_f1}, {@code f1/3}, {@code confusion/2/5}, {@code mse}, {@code mae/0}, ...); see the
     * implementations for the keys. Iteration order is the keys' natural order.
     */
    Map<String, Double> toMap();
}
