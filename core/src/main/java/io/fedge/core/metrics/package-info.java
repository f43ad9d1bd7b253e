/**
 * Evaluation metrics as pure functions of predictions and labels: {@link io.fedge.core.metrics.ClassificationMetrics}
 * (accuracy, loss, the confusion matrix, per-class precision, recall and F1, macro-F1) and
 * {@link io.fedge.core.metrics.RegressionMetrics} (MSE and MAE per target and on average). Both are
 * built from sums, so the metrics of disjoint parts of a data set merge exactly into the metrics of
 * the whole ({@link io.fedge.core.metrics.Metrics#merge}).
 */
package io.fedge.core.metrics;
