package io.fedge.aggregation;

import io.fedge.core.model.GlobalModel;

/**
 * FedAvg's weighted mean of the updates, then a {@link ServerOptimizer} step with it instead of
 * adding it as is: FedAvgM, FedAdagrad, FedAdam and FedYogi. The mean is folded as updates stream
 * in (one double per parameter), the optimizer's moments are one or two floats per parameter, and
 * they are the state the coordinator persists after every round. The mean is all the step needs,
 * so it runs under secure aggregation.
 */
public final class ServerOptimizedStrategy extends SampledStrategy {
    private final String name;
    private final ServerOptimizer optimizer;

    public ServerOptimizedStrategy(String name, Sampling sampling, ServerOptimizer optimizer) {
        super(sampling);
        this.name = name;
        this.optimizer = optimizer;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean supportsSecureAggregation() {
        return true;
    }

    @Override
    public FitAggregation beginFit(long round, GlobalModel current) {
        return new FedAvg.MeanAggregation(current.parameterCount(),
                (mean, failures) -> optimizer.step(current.parameters(), mean::mean));
    }

    @Override
    public byte[] state() {
        return optimizer.state(name);
    }

    @Override
    public void restoreState(byte[] state) {
        optimizer.restore(name, state);
    }

    /**
     * {@code server_learning_rate}: the rate of the optimizer's last step (the decayed one under
     * {@code decay}); empty before the first.
     */
    @Override
    public java.util.Map<String, Double> roundMetrics() {
        double rate = optimizer.lastLearningRate();
        return Double.isNaN(rate) ? java.util.Map.of() : java.util.Map.of("server_learning_rate", rate);
    }

    /** The optimizer, for tests and reports. */
    public ServerOptimizer optimizer() {
        return optimizer;
    }

    @Override
    public String toString() {
        return name + "[" + optimizer + ", " + sampling + "]";
    }
}
