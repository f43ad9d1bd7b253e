package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.aggregation.robust.NormBoundStrategy;

import java.util.List;

/** {@code normbound}: Sun et al. 2019, every update scaled to norm at most bound, then FedAvg. */
public final class NormBoundFactory implements StrategyFactory {
    @Override
    public String name() {
        return "normbound";
    }

    @Override
    public String summary() {
        return "norm bounding (Sun et al. 2019): each update scaled to L2 norm <= bound, then the example-weighted mean";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("bound", "(required)", "largest L2 norm an update keeps, a positive number"),
                LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        if (!p.given("bound")) {
            throw new IllegalArgumentException("strategy " + name() + ": bound is required, a positive number (normbound:bound=5)");
        }
        double bound = p.number("bound");
        if (!(bound > 0)) {
            throw new IllegalArgumentException("strategy " + name() + ": bound must be positive, got " + p.text("bound"));
        }
        return new NormBoundStrategy(name(), BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p), bound);
    }
}
