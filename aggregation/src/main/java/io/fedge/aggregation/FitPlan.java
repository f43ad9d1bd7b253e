package io.fedge.aggregation;

import java.util.List;
import java.util.Objects;

/**
 * The clients selected for a training round and the instructions they all get.
 *
 * @param targetUpdates with over-selection, how many accepted updates close the round early (the
 *        rest are stragglers); {@link Integer#MAX_VALUE} waits for every selected client
 * @param controlVariate SCAFFOLD's server control variate, sent to every selected client with the
 *        model (one float per parameter); null when the instructions do not ask for SCAFFOLD
 */
public record FitPlan(List<ClientInfo> clients, FitInstructions instructions, int targetUpdates, float[] controlVariate) {
    /** A plan without a control variate. */
    public FitPlan(List<ClientInfo> clients, FitInstructions instructions, int targetUpdates) {
        this(clients, instructions, targetUpdates, null);
    }

    public FitPlan {
        clients = List.copyOf(clients);
        Objects.requireNonNull(instructions, "instructions");
        if (targetUpdates <= 0) {
            throw new IllegalArgumentException("targetUpdates must be positive: " + targetUpdates);
        }
        if (controlVariate != null && !instructions.local().scaffold()) {
            throw new IllegalArgumentException("a control variate goes with SCAFFOLD instructions only");
        }
    }

    /** A plan that waits for every selected client. */
    public FitPlan(List<ClientInfo> clients, FitInstructions instructions) {
        this(clients, instructions, Integer.MAX_VALUE, null);
    }

    /** The same plan carrying SCAFFOLD's server control variate. */
    public FitPlan withControlVariate(float[] c) {
        return new FitPlan(clients, instructions, targetUpdates, c);
    }
}
