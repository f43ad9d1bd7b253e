package io.fedge.aggregation.strategies;

import io.fedge.aggregation.ServerOptimizer;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

/** The {@code decay} parameter the server optimizers take: the server learning rate's exponential decay. */
final class ServerRateDecay {
    static final StrategyFactory.Parameter PARAMETER = new StrategyFactory.Parameter("decay", "1",
            "server learning rate's factor per round in (0, 1]: eta_t = eta * decay^t (1: constant)");

    private ServerRateDecay() {
    }

    /** {@code optimizer} with the decay given (one outside (0, 1] refused in one line). */
    static ServerOptimizer apply(ServerOptimizer optimizer, StrategyParameters p) {
        double decay = p.number("decay");
        if (decay == 1) {
            return optimizer;
        }
        try {
            return optimizer.withDecay(decay);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("strategy " + p.strategy() + ": " + e.getMessage());
        }
    }
}
