package io.fedge.aggregation;

import io.fedge.core.model.GlobalModel;

import java.util.List;
import java.util.Optional;

/**
 * Federated Averaging (McMahan et al. 2017): each round a fraction of the clients trains locally
 * and the next global model is the current one plus the example-count-weighted mean of their
 * updates. Updates are folded into a {@link WeightedMean} as they are accepted, so the strategy
 * holds one double per parameter whatever the number of clients.
 *
 * <pre>{@code
 * Strategy fedAvg = FedAvg.builder()
 *         .fractionFit(0.1).minFitClients(10).minAvailableClients(100)
 *         .instructions(new FitInstructions(1, 32, 0.05, "fp32"))
 *         .build();
 * }</pre>
 *
 * <p>Immutable; the aggregations it begins are not thread-safe.
 */
public final class FedAvg extends SampledStrategy {
    private final String name;

    public FedAvg(Sampling sampling) {
        this("fedavg", sampling);
    }

    /**
     * FedAvg under another name: the server side of strategies that differ from it only in what
     * clients do locally (FedProx).
     */
    public FedAvg(String name, Sampling sampling) {
        super(sampling);
        this.name = name;
    }

    /** A builder of the sampling whose {@code build()} returns a FedAvg. */
    public static Sampling.Builder<FedAvg> builder() {
        return Sampling.builder(FedAvg::new);
    }

    @Override
    public String name() {
        return name;
    }

    /** FedAvg is the weighted mean of the updates, so a securely aggregated mean gives the same model. */
    @Override
    public boolean supportsSecureAggregation() {
        return true;
    }

    @Override
    public FitAggregation beginFit(long round, GlobalModel current) {
        return new MeanAggregation(current.parameterCount(), (mean, failures) -> mean.addMeanTo(current.parameters()));
    }

    @Override
    public String toString() {
        return (name.equals("fedavg") ? "FedAvg" : name) + "[" + sampling + "]";
    }

    /**
     * Folds example-weighted deltas into a running mean and hands the mean to {@code finisher}:
     * the arithmetic every mean-based strategy shares (FedAvg adds it to the model, a server
     * optimizer takes a step with it).
     */
    static final class MeanAggregation implements FitAggregation {
        /** Turns the mean of the accepted deltas into the next parameters. */
        interface Finisher {
            float[] finish(WeightedMean mean, List<Failure> failures);
        }

        private final PartialMean fold;
        private final Finisher finisher;

        MeanAggregation(int length, Finisher finisher) {
            this.fold = new PartialMean(length);
            this.finisher = finisher;
        }

        @Override
        public void accept(FitResult result, UpdateChunks delta) {
            fold.accept(result, delta);
        }

        @Override
        public int accepted() {
            return fold.accepted();
        }

        @Override
        public Optional<float[]> finish(List<Failure> failures) {
            if (fold.accepted() == 0) {
                return Optional.empty();
            }
            return Optional.of(finisher.finish(fold.weightedMean(), failures));
        }
    }
}
