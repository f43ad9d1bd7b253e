package io.fedge.aggregation.robust;

import io.fedge.aggregation.SampledStrategy;
import io.fedge.aggregation.Sampling;
import io.fedge.core.model.GlobalModel;

/**
 * FedAvg with every update first scaled to L2 norm at most {@code bound} on the server
 * ({@link NormBounding}). Each update's norm is needed on its own, so it does not run under
 * secure aggregation. Immutable.
 */
public final class NormBoundStrategy extends SampledStrategy {
    private final String name;
    private final double bound;

    public NormBoundStrategy(String name, Sampling sampling, double bound) {
        super(sampling);
        if (!(bound > 0) || !Double.isFinite(bound)) {
            throw new IllegalArgumentException("bound must be positive and finite: " + bound);
        }
        this.name = name;
        this.bound = bound;
    }

    @Override
    public String name() {
        return name;
    }

    public double bound() {
        return bound;
    }

    @Override
    public NormBounding beginFit(long round, GlobalModel current) {
        return new NormBounding(current.parameters(), bound);
    }

    @Override
    public String toString() {
        return name + "[bound " + bound + ", " + sampling + "]";
    }
}
