package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.aggregation.robust.TrimmedMean;

import java.util.List;

/** {@code trimmedmean}: the coordinate-wise trimmed mean (Flower's FedTrimmedAvg). */
public final class TrimmedMeanFactory implements StrategyFactory {
    @Override
    public String name() {
        return "trimmedmean";
    }

    @Override
    public String summary() {
        return "coordinate-wise trimmed mean (Yin et al. 2018, Flower's FedTrimmedAvg): floor(beta n) dropped at each end, unweighted";
    }

    @Override
    public List<Parameter> parameters() {
        return RobustParameters.with(new Parameter("beta", "0.2", "fraction trimmed at each end of each coordinate, in [0, 0.5)"));
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        double beta = p.number("beta");
        if (!(beta >= 0 && beta < 0.5)) {
            throw new IllegalArgumentException("strategy " + name() + ": beta must be in [0, 0.5), got " + p.text("beta"));
        }
        return RobustParameters.strategy(name(), sampling, p, new TrimmedMean(beta));
    }
}
