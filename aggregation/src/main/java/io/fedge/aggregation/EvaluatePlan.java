package io.fedge.aggregation;

import java.util.List;

/**
 * The clients asked to evaluate the new global model on their local data, and the batch size.
 */
public record EvaluatePlan(List<ClientInfo> clients, int batchSize) {
    public EvaluatePlan {
        clients = List.copyOf(clients);
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
        }
    }

    /** A plan that asks nobody. */
    public static EvaluatePlan none() {
        return new EvaluatePlan(List.of(), 1);
    }
}
