package io.fedge.aggregation;

import java.util.List;
import java.util.Objects;

/**
 * The clients selected for a training round and the instructions they all get.
 */
public record FitPlan(List<ClientInfo> clients, FitInstructions instructions) {
    public FitPlan {
        clients = List.copyOf(clients);
        Objects.requireNonNull(instructions, "instructions");
    }
}
