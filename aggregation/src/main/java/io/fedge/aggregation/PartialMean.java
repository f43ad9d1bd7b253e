package io.fedge.aggregation;

import java.util.List;
import java.util.Optional;

/**
 * The example-weighted mean of a group's updates, folded as they arrive (one double per
 * parameter), whose result is the mean delta itself rather than a next model: what a gateway
 * sends upstream for its devices, with {@link #totalWeight()} as the examples behind it. A
 * coordinator that folds several such means, each weighted by its total, computes exactly the
 * mean of all the devices' updates (FedAvg's), up to the rounding of each mean to floats.
 * FedAvg's own aggregation folds through one of these too.
 *
 * <p>Not thread-safe (the coordinator's aggregation thread calls it).
 */
public final class PartialMean implements FitAggregation {
    private final WeightedMean mean;

    public PartialMean(int length) {
        this.mean = new WeightedMean(length);
    }

    @Override
    public void accept(FitResult result, UpdateChunks delta) {
        double weight = result.numExamples();
        delta.forEach((offset, values, length) -> mean.addChunk(weight, offset, values, length));
        mean.addWeight(weight);
    }

    @Override
    public int accepted() {
        return mean.count();
    }

    /** The sum of the weights (capped example counts) of the accepted updates. */
    public double totalWeight() {
        return mean.totalWeight();
    }

    WeightedMean weightedMean() {
        return mean;
    }

    /** The weighted mean of the accepted deltas; empty when none was accepted. */
    @Override
    public Optional<float[]> finish(List<Failure> failures) {
        return mean.count() == 0 ? Optional.empty() : Optional.of(mean.mean());
    }
}
