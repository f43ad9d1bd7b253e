package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Scaffold;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

import java.util.List;

/**
 * {@code scaffold}: Karimireddy et al. 2020, option II. Clients correct every local gradient by
 * {@code c - c_i} and keep {@code c_i}; the server moves the model by {@code eta} times the mean
 * model delta and {@code c} by {@code |S|/N} times the mean control delta. Only clients that
 * announce the feature are selected; lossy codecs are refused.
 */
public final class ScaffoldFactory implements StrategyFactory {
    @Override
    public String name() {
        return Scaffold.NAME;
    }

    @Override
    public String summary() {
        return "SCAFFOLD (Karimireddy et al. 2020, option II): control variates correct the clients' drift; "
                + "x += eta mean dy, c += |S|/N mean dc";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("eta", "1.0", "global step size in (0, 1000]"), LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        return new Scaffold(BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p), p.number("eta", Double.MIN_VALUE, 1e3));
    }
}
