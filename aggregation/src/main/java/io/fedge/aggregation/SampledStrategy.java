package io.fedge.aggregation;

import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A strategy that selects clients with a {@link Sampling} and differs from the others only in how
 * the accepted updates become the next model (and in what it keeps between rounds). Subclasses
 * implement {@link #name} and {@link #beginFit}.
 */
public abstract class SampledStrategy implements Strategy {
    protected final Sampling sampling;

    protected SampledStrategy(Sampling sampling) {
        this.sampling = Objects.requireNonNull(sampling, "sampling");
    }

    /** How this strategy selects clients and what it tells them. */
    public Sampling sampling() {
        return sampling;
    }

    @Override
    public FitPlan configureFit(long round, List<ClientInfo> available, Random rng) {
        return sampling.configureFit(round, available, rng);
    }

    @Override
    public int minFitClients() {
        return sampling.minFitClients();
    }

    @Override
    public int minAvailableClients() {
        return sampling.minAvailableClients();
    }

    @Override
    public int minAcceptedUpdates() {
        return sampling.minAcceptedUpdates();
    }

    @Override
    public List<String> codecs() {
        return sampling.codecs();
    }

    /** The instructions of round {@code round}. */
    public FitInstructions instructions(long round) {
        return sampling.instructions(round);
    }

    /** The instructions every selected client gets after the warm-up. */
    public FitInstructions instructions() {
        return sampling.instructions();
    }

    @Override
    public EvaluatePlan configureEvaluate(long round, List<ClientInfo> available, Random rng) {
        return sampling.configureEvaluate(round, available, rng);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + sampling + "]";
    }
}
