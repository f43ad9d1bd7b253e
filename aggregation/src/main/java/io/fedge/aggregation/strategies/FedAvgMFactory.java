package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.ServerOptimizedStrategy;
import io.fedge.aggregation.ServerOptimizer;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

import java.util.List;

/** {@code fedavgm}: FedAvg with server momentum (Hsu et al. 2019): v = beta v + mean delta, x += eta v */
public final class FedAvgMFactory implements StrategyFactory {
    @Override
    public String name() {
        return "fedavgm";
    }

    @Override
    public String summary() {
        return "FedAvg with server momentum (Hsu et al. 2019): v = beta v + mean delta, x += eta v";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("eta", "1.0", "server learning rate in (0, 1000]"),
                new Parameter("beta", "0.9", "server momentum in [0, 1)"),
                ServerRateDecay.PARAMETER, LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return new ServerOptimizedStrategy(name(), BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p), ServerRateDecay.apply(ServerOptimizer.momentum(p.number("eta"), p.number("beta")), p));
    }
}
