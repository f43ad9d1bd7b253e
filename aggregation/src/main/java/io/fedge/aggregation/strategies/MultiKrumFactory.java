package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.aggregation.robust.Krum;

import java.util.List;

/**
 * {@code multikrum}: Blanchard et al. 2017, the mean of the m best Krum scores, weighted by the
 * updates' (capped) example counts by default as Flower's Multi-Krum and FedAvg weigh them.
 */
public final class MultiKrumFactory implements StrategyFactory {
    @Override
    public String name() {
        return "multikrum";
    }

    @Override
    public String summary() {
        return "Multi-Krum (Blanchard et al. 2017): the mean of the m updates with the lowest Krum scores";
    }

    @Override
    public List<Parameter> parameters() {
        return RobustParameters.with(RobustParameters.f("n >= f + 3 updates, else the round keeps the model"),
                new Parameter("m", "n-f", "updates averaged, in [1, n - f] (n - f: all but f)"),
                new Parameter("weighted", "true", "weigh the selected updates by their example counts (false: "
                        + "the paper's unweighted mean)"));
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        int m = p.given("m") ? p.integer("m", 1, Integer.MAX_VALUE) : Krum.AUTO;
        return RobustParameters.strategy(name(), sampling, p, new Krum(RobustParameters.f(p), m, p.flag("weighted")));
    }
}
