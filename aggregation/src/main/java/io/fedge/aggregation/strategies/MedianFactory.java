package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.aggregation.robust.CoordinateMedian;

import java.util.List;

/** {@code median}: the coordinate-wise median of the updates (Yin et al. 2018). */
public final class MedianFactory implements StrategyFactory {
    @Override
    public String name() {
        return "median";
    }

    @Override
    public String summary() {
        return "coordinate-wise median of the updates (Yin et al. 2018), unweighted; every update held, spilling past budget";
    }

    @Override
    public List<Parameter> parameters() {
        return RobustParameters.with();
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return RobustParameters.strategy(name(), sampling, p, new CoordinateMedian());
    }
}
