package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.core.LocalTraining;

/** The {@code momentum} parameter every built-in strategy takes: the clients' local SGD momentum. */
final class LocalMomentum {
    static final StrategyFactory.Parameter PARAMETER = new StrategyFactory.Parameter("momentum", "0",
            "clients' local SGD momentum in [0, " + LocalTraining.MAX_MOMENTUM + "] (PyTorch's SGD momentum; 0: plain SGD)");

    private LocalMomentum() {
    }

    /** {@code sampling} with the momentum given, if any. */
    static Sampling apply(Sampling sampling, StrategyParameters p) {
        double m = p.number("momentum", 0, LocalTraining.MAX_MOMENTUM);
        if (m == 0) {
            return sampling;
        }
        return sampling.withInstructions(sampling.instructions().withLocal(sampling.instructions().local().withMomentum(m)));
    }
}
