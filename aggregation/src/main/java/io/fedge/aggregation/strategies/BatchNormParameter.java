package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

import java.util.List;

/**
 * The {@code bn} parameter every built-in strategy takes: what becomes of the model's BatchNorm
 * parameters. {@code averaged} (the default) averages them like any other parameter, running
 * statistics included; {@code local} is FedBN (Li et al. 2021): each client keeps its BatchNorm
 * parameters on the device, trains with them and sends zero for them, so the global model's
 * BatchNorm parameters stay as they started.
 */
final class BatchNormParameter {
    static final StrategyFactory.Parameter PARAMETER = new StrategyFactory.Parameter("bn", "averaged",
            "BatchNorm parameters: averaged, or local (FedBN: each client keeps its own; needs clients with fedbn-v1)");

    private static final List<String> CHOICES = List.of("averaged", "local");

    private BatchNormParameter() {
    }

    /** {@code sampling} with FedBN on when {@code bn=local}. */
    static Sampling apply(Sampling sampling, StrategyParameters p) {
        if (p.choice("bn", CHOICES).equals("averaged")) {
            return sampling;
        }
        return sampling.withInstructions(sampling.instructions().withLocal(
                sampling.instructions().local().withLocalBatchNorm(true)));
    }
}
