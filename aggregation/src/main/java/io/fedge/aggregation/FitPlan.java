package io.fedge.aggregation;

import java.util.List;
import java.util.Objects;

/**
 * With over-selection, {@code targetUpdates} is how many accepted updates close the round early
 * (the rest are stragglers); {@link Integer#MAX_VALUE} waits for every selected client.
 *
 * The clients selected for a training round and the instructions they all get.
 */
public record FitPlan(List<ClientInfo> clients, FitInstructions instructions, int targetUpdates) {
    public FitPlan {
        clients = List.copyOf(clients);
        Objects.requireNonNull(instructions, "instructions");
        if (targetUpdates <= 0) {
            throw new IllegalArgumentException("targetUpdates must be positive: " + targetUpdates);
        }
    }

    /** A plan that waits for every selected client. */
    public FitPlan(List<ClientInfo> clients, FitInstructions instructions) {
        this(clients, instructions, Integer.MAX_VALUE);
    }
}
