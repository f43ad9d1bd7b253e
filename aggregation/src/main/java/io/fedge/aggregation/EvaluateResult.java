package io.fedge.aggregation;

import java.util.Objects;

/**
 * One client's evaluation of a global model on its local data.
 */
public record EvaluateResult(String clientId, long numExamples, double loss, double accuracy) {
    public EvaluateResult {
        Objects.requireNonNull(clientId, "clientId");
        if (numExamples < 0) {
            throw new IllegalArgumentException("numExamples must be non-negative: " + numExamples);
        }
    }
}
