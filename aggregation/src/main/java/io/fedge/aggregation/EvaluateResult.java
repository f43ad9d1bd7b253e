package io.fedge.aggregation;

import io.fedge.core.metrics.Metrics;

import java.util.Objects;

/**
 * One client's evaluation of a global model on its local data.
 *
 * @param metrics its detailed metrics as sums (confusion matrix, or regression error sums), checked
 *     against the model and its accuracy and loss; null where the client sent none (an older client)
 */
public record EvaluateResult(String clientId, long numExamples, double loss, double accuracy, Metrics metrics) {
    public EvaluateResult {
        Objects.requireNonNull(clientId, "clientId");
        if (numExamples < 0) {
            throw new IllegalArgumentException("numExamples must be non-negative: " + numExamples);
        }
    }

    /** An evaluation without detailed metrics. */
    public EvaluateResult(String clientId, long numExamples, double loss, double accuracy) {
        this(clientId, numExamples, loss, accuracy, null);
    }
}
