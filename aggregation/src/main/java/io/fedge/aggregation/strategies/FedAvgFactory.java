package io.fedge.aggregation.strategies;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

import java.util.List;

/** {@code fedavg}: McMahan et al. 2017, the example-weighted mean of the updates. */
public final class FedAvgFactory implements StrategyFactory {
    @Override
    public String name() {
        return "fedavg";
    }

    @Override
    public String summary() {
        return "Federated Averaging (McMahan et al. 2017): the example-weighted mean of the updates";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return new FedAvg(BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p));
    }
}
