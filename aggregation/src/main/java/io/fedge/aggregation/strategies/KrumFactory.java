package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.aggregation.robust.Krum;

import java.util.List;

/** {@code krum}: Blanchard et al. 2017, the update nearest its n - f - 2 nearest others. */
public final class KrumFactory implements StrategyFactory {
    @Override
    public String name() {
        return "krum";
    }

    @Override
    public String summary() {
        return "Krum (Blanchard et al. 2017): the update with the least summed squared distance to its n-f-2 nearest others";
    }

    @Override
    public List<Parameter> parameters() {
        return RobustParameters.with(RobustParameters.f("n >= f + 3 updates, else the round keeps the model"));
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return RobustParameters.strategy(name(), sampling, p, new Krum(RobustParameters.f(p)));
    }
}
