package io.fedge.aggregation.strategies;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.core.LocalTraining;

import java.util.List;

/**
 * {@code fedprox}: Li et al. 2020. The clients add {@code mu/2 ||w - w_global||^2} to their local
 * objective (only clients that announce the feature are selected); the server averages as FedAvg.
 */
public final class FedProxFactory implements StrategyFactory {
    @Override
    public String name() {
        return "fedprox";
    }

    @Override
    public String summary() {
        return "FedProx (Li et al. 2020): FedAvg with the proximal term mu/2 ||w - w_global||^2 in local training";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("mu", "0.01", "proximal weight in [0, " + LocalTraining.MAX_PROXIMAL_MU
                + "] (0: FedAvg)"), LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        double mu = p.number("mu", 0, LocalTraining.MAX_PROXIMAL_MU);
        Sampling s = BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p);
        return new FedAvg(name(), s.withInstructions(s.instructions().withLocal(s.instructions().local().withProximalMu(mu))));
    }
}
