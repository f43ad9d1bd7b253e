package io.fedge.core.model;

import io.fedge.core.metrics.Metrics;

/**
 * Accuracy and mean loss of a model on some examples, and, when the evaluator measured them, the
 * detailed metrics (per-class precision/recall/F1 and the confusion matrix, or a regression's MSE
 * and MAE per target).
 *
 * @param examples how many examples were evaluated
 * @param accuracy the fraction classified correctly, in [0, 1]; NaN for a regression model, which has none
 * @param loss the mean loss per example: cross-entropy for a classifier, mean squared error for a regression
 * @param metrics the detailed metrics, or null where only accuracy and loss are known (a client's
 *     report, an older caller)
 */
public record Evaluation(long examples, double accuracy, double loss, Metrics metrics) {
    public Evaluation {
        if (examples < 0) {
            throw new IllegalArgumentException("examples must be non-negative: " + examples);
        }
    }

    /** Accuracy and loss without detailed metrics. */
    public Evaluation(long examples, double accuracy, double loss) {
        this(examples, accuracy, loss, null);
    }
}
