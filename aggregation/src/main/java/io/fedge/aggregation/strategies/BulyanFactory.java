package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.aggregation.robust.Bulyan;

import java.util.List;

/** {@code bulyan}: El Mhamdi et al. 2018, repeated Krum then a trimmed mean around the median. */
public final class BulyanFactory implements StrategyFactory {
    @Override
    public String name() {
        return "bulyan";
    }

    @Override
    public String summary() {
        return "Bulyan (El Mhamdi et al. 2018): n-2f updates chosen by repeated Krum, then per coordinate the mean of the "
                + "n-4f values nearest the median";
    }

    @Override
    public List<Parameter> parameters() {
        return RobustParameters.with(RobustParameters.f("n >= 4f + 3 updates, else the round keeps the model"));
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return RobustParameters.strategy(name(), sampling, p, new Bulyan(RobustParameters.f(p)));
    }
}
