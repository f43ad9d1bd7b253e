package io.fedge.aggregation;

import io.fedge.core.model.GlobalModel;

import java.util.List;

/**
 * A strategy as a user would write one, outside fedge's own list: found through this test class
 * path's {@code META-INF/services/io.fedge.aggregation.StrategyFactory}. It moves the model by
 * {@code step} times FedAvg's mean.
 */
public final class PluggedStrategyFactory implements StrategyFactory {
    @Override
    public String name() {
        return "scaledavg";
    }

    @Override
    public String summary() {
        return "a user's strategy: FedAvg's mean times a step";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("step", "0.5", "the factor of the mean, in (0, 10]"));
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        double step = p.number("step", 1e-9, 10);
        return new SampledStrategy(sampling) {
            @Override
            public String name() {
                return "scaledavg";
            }

            @Override
            public FitAggregation beginFit(long round, GlobalModel current) {
                return new FedAvg.MeanAggregation(current.parameterCount(), (mean, failures) -> {
                    float[] x = current.parameters();
                    float[] out = new float[x.length];
                    for (int i = 0; i < x.length; i++) {
                        out[i] = (float) (x[i] + step * mean.mean(i));
                    }
                    return out;
                });
            }
        };
    }
}
