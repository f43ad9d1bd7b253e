package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.ServerOptimizedStrategy;
import io.fedge.aggregation.ServerOptimizer;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

import java.util.List;

/** {@code fedadam}: FedAdam (Reddi et al. 2021): Adam on the server with the mean delta, no bias correction */
public final class FedAdamFactory implements StrategyFactory {
    @Override
    public String name() {
        return "fedadam";
    }

    @Override
    public String summary() {
        return "FedAdam (Reddi et al. 2021): Adam on the server with the mean delta, no bias correction";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("eta", "0.1", "server learning rate in (0, 1000]"),
                new Parameter("beta1", "0.9", "first-moment decay in [0, 1)"),
                new Parameter("beta2", "0.99", "second-moment decay in [0, 1)"),
                new Parameter("tau", "1e-9", "adaptivity in (0, 10]; v starts at tau^2"),
                ServerRateDecay.PARAMETER, LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return new ServerOptimizedStrategy(name(), BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p), ServerRateDecay.apply(ServerOptimizer.adam(p.number("eta"), p.number("beta1"), p.number("beta2"), p.number("tau")), p));
    }
}
