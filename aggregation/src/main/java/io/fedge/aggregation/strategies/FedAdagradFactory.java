package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.ServerOptimizedStrategy;
import io.fedge.aggregation.ServerOptimizer;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

import java.util.List;

/** {@code fedadagrad}: FedAdagrad (Reddi et al. 2021): Adagrad on the server with the mean delta */
public final class FedAdagradFactory implements StrategyFactory {
    @Override
    public String name() {
        return "fedadagrad";
    }

    @Override
    public String summary() {
        return "FedAdagrad (Reddi et al. 2021): Adagrad on the server with the mean delta";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("eta", "0.1", "server learning rate in (0, 1000]"),
                new Parameter("beta1", "0.0", "first-moment decay in [0, 1)"),
                new Parameter("tau", "1e-9", "adaptivity in (0, 10]; v starts at tau^2"),
                ServerRateDecay.PARAMETER, LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return new ServerOptimizedStrategy(name(), BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p), ServerRateDecay.apply(ServerOptimizer.adagrad(p.number("eta"), p.number("beta1"), p.number("tau")), p));
    }
}
