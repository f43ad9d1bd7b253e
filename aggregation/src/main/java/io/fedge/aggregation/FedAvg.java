package io.fedge.aggregation;

import io.fedge.core.CodecNames;
import io.fedge.core.model.GlobalModel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

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
public final class FedAvg implements Strategy {
    private final double fractionFit;
    private final int minFitClients;
    private final int minAvailableClients;
    private final double fractionEvaluate;
    private final int minEvaluateClients;
    private final int evaluateBatchSize;
    private final FitInstructions instructions;
    private final List<String> warmupCodecs;
    private final int minAcceptedUpdates;
    private final double overSelection;

    private FedAvg(Builder b) {
        this.minAcceptedUpdates = b.minAcceptedUpdates;
        this.overSelection = b.overSelection;
        this.warmupCodecs = b.warmupCodecs;
        this.fractionFit = b.fractionFit;
        this.minFitClients = b.minFitClients;
        this.minAvailableClients = b.minAvailableClients;
        this.fractionEvaluate = b.fractionEvaluate;
        this.minEvaluateClients = b.minEvaluateClients;
        this.evaluateBatchSize = b.evaluateBatchSize;
        this.instructions = b.instructions;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "fedavg";
    }

    /** FedAvg is the weighted mean of the updates, so a securely aggregated mean gives the same model. */
    @Override
    public boolean supportsSecureAggregation() {
        return true;
    }

    @Override
    public int minFitClients() {
        return minFitClients;
    }

    @Override
    public int minAvailableClients() {
        return minAvailableClients;
    }

    @Override
    public int minAcceptedUpdates() {
        return minAcceptedUpdates;
    }

    @Override
    public List<String> codecs() {
        List<String> all = new ArrayList<>(warmupCodecs);
        all.add(instructions.codec());
        return List.copyOf(all);
    }

    /** The instructions of round {@code round}: the warm-up codec of that round if any, else {@link #instructions()}'s. */
    public FitInstructions instructions(long round) {
        if (round >= 1 && round <= warmupCodecs.size()) {
            FitInstructions i = instructions;
            return new FitInstructions(i.localEpochs(), i.batchSize(), i.learningRate(), warmupCodecs.get((int) round - 1));
        }
        return instructions;
    }

    /** The instructions every selected client gets. */
    public FitInstructions instructions() {
        return instructions;
    }

    @Override
    public FitPlan configureFit(long round, List<ClientInfo> available, Random rng) {
        FitInstructions now = instructions(round);
        List<ClientInfo> eligible = new ArrayList<>();
        for (ClientInfo c : available) {
            if (CodecNames.supportedBy(now.codec(), c.codecs())) {
                eligible.add(c);
            }
        }
        // The epsilon keeps 0.1 * 100 (10.000000000000002 in binary) from becoming 11.
        int wanted = Math.max(minFitClients, (int) Math.ceil(fractionFit * eligible.size() - 1e-9));
        if (overSelection == 0) {
            return new FitPlan(sample(eligible, wanted, rng), now);
        }
        int target = Math.min(wanted, eligible.size());
        int selected = (int) Math.ceil(target * (1 + overSelection) - 1e-9);
        return new FitPlan(sample(eligible, selected, rng), now, Math.max(1, target));
    }

    @Override
    public EvaluatePlan configureEvaluate(long round, List<ClientInfo> available, Random rng) {
        if (fractionEvaluate == 0) {
            return EvaluatePlan.none();
        }
        return new EvaluatePlan(sample(available, fractionEvaluate, minEvaluateClients, rng), evaluateBatchSize);
    }

    /**
     * {@code max(minimum, ceil(fraction * n))} clients drawn without replacement, capped at
     * {@code n}, returned sorted by id.
     */
    static List<ClientInfo> sample(List<ClientInfo> candidates, double fraction, int minimum, Random rng) {
        // The epsilon keeps 0.1 * 100 (10.000000000000002 in binary) from becoming 11.
        return sample(candidates, Math.max(minimum, (int) Math.ceil(fraction * candidates.size() - 1e-9)), rng);
    }

    /** {@code min(wanted, n)} clients drawn without replacement, returned sorted by id. */
    static List<ClientInfo> sample(List<ClientInfo> candidates, int wanted, Random rng) {
        int k = Math.min(wanted, candidates.size());
        List<ClientInfo> shuffled = new ArrayList<>(candidates);
        Collections.shuffle(shuffled, rng);
        List<ClientInfo> chosen = new ArrayList<>(shuffled.subList(0, k));
        chosen.sort((a, b) -> a.id().compareTo(b.id()));
        return chosen;
    }

    @Override
    public FitAggregation beginFit(long round, GlobalModel current) {
        return new Aggregation(current);
    }

    /** Folds example-weighted deltas into a running mean. */
    private static final class Aggregation implements FitAggregation {
        private final GlobalModel current;
        private final WeightedMean mean;

        Aggregation(GlobalModel current) {
            this.current = current;
            this.mean = new WeightedMean(current.parameterCount());
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

        @Override
        public Optional<float[]> finish(List<Failure> failures) {
            if (mean.count() == 0) {
                return Optional.empty();
            }
            return Optional.of(mean.addMeanTo(current.parameters()));
        }
    }

    @Override
    public String toString() {
        return "FedAvg[fractionFit=" + fractionFit + ", minFitClients=" + minFitClients
                + ", minAvailableClients=" + minAvailableClients + ", minAcceptedUpdates=" + minAcceptedUpdates
                + (overSelection == 0 ? "" : ", overSelection=" + overSelection) + ", " + instructions
                + (warmupCodecs.isEmpty() ? "" : ", warm-up " + warmupCodecs) + "]";
    }

    /** Builds a {@link FedAvg}; each setter may be called once. */
    public static final class Builder {
        private Double fractionFitSet;
        private double fractionFit = 1.0;
        private Integer minFitSet;
        private int minFitClients = 1;
        private Integer minAvailableSet;
        private int minAvailableClients = 1;
        private double fractionEvaluate;
        private int minEvaluateClients;
        private int evaluateBatchSize = 256;
        private FitInstructions instructions;
        private List<String> warmupCodecs = List.of();
        private Integer minAcceptedSet;
        private int minAcceptedUpdates;
        private double overSelection;

        private Builder() {
        }

        /**
         * The fewest accepted updates with which a round counts (and the fewest eligible clients
         * with which one starts); default half of {@code minFitClients}, rounded up, so that a few
         * clients dying in a round do not throw the others' updates away.
         */
        public Builder minAcceptedUpdates(int n) {
            if (minAcceptedSet != null) {
                throw new IllegalStateException("minAcceptedUpdates already set to " + minAcceptedSet);
            }
            if (n <= 0) {
                throw new IllegalArgumentException("minAcceptedUpdates must be positive: " + n);
            }
            this.minAcceptedSet = n;
            return this;
        }

        /**
         * Over-selection against stragglers: select {@code ceil(k * (1 + fraction))} clients for a
         * round that needs {@code k} and close it at the first {@code k} accepted updates (or the
         * deadline). In [0, 10]; default 0 (wait for every selected client).
         */
        public Builder overSelection(double fraction) {
            if (!(fraction >= 0 && fraction <= 10)) {
                throw new IllegalArgumentException("overSelection must be in [0, 10]: " + fraction);
            }
            this.overSelection = fraction;
            return this;
        }

        /** The fraction of available clients selected each round, in (0, 1]; default 1. */
        public Builder fractionFit(double fraction) {
            if (fractionFitSet != null) {
                throw new IllegalStateException("fractionFit already set to " + fractionFitSet);
            }
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("fractionFit must be in (0, 1]: " + fraction);
            }
            this.fractionFitSet = fraction;
            this.fractionFit = fraction;
            return this;
        }

        /** At least this many clients are selected, and must report, for a round to count; default 1. */
        public Builder minFitClients(int n) {
            if (minFitSet != null) {
                throw new IllegalStateException("minFitClients already set to " + minFitSet);
            }
            if (n <= 0) {
                throw new IllegalArgumentException("minFitClients must be positive: " + n);
            }
            this.minFitSet = n;
            this.minFitClients = n;
            return this;
        }

        /**
         * No round starts before this many clients are connected; default {@code minFitClients}.
         * May be below {@code minFitClients} (a round then selects every connected client) but not
         * below {@code minAcceptedUpdates}.
         */
        public Builder minAvailableClients(int n) {
            if (minAvailableSet != null) {
                throw new IllegalStateException("minAvailableClients already set to " + minAvailableSet);
            }
            if (n <= 0) {
                throw new IllegalArgumentException("minAvailableClients must be positive: " + n);
            }
            this.minAvailableSet = n;
            this.minAvailableClients = n;
            return this;
        }

        /**
         * Federated evaluation: the fraction of clients (at least {@code minimum}) that evaluate
         * each new model on their data with the given batch size; default none.
         */
        public Builder evaluateOnClients(double fraction, int minimum, int batchSize) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("fraction must be in [0, 1]: " + fraction);
            }
            if (minimum < 0 || batchSize <= 0) {
                throw new IllegalArgumentException("minimum must be non-negative and batchSize positive: "
                        + minimum + ", " + batchSize);
            }
            this.fractionEvaluate = fraction;
            this.minEvaluateClients = minimum;
            this.evaluateBatchSize = batchSize;
            return this;
        }

        /**
         * Codecs for the first rounds, one per round, before the instructions' codec takes over:
         * a sparsity warm-up (Lin et al. 2018, Deep Gradient Compression), such as
         * {@code topk:0.1+int8, topk:0.03+int8} before {@code topk:0.01+int8}, sends more while the
         * model changes fastest. Default none.
         */
        public Builder warmupCodecs(List<String> codecs) {
            this.warmupCodecs = List.copyOf(codecs);
            return this;
        }

        /** What every selected client is told to do; required. */
        public Builder instructions(FitInstructions instructions) {
            if (this.instructions != null) {
                throw new IllegalStateException("instructions already set to " + this.instructions);
            }
            this.instructions = Objects.requireNonNull(instructions, "instructions");
            return this;
        }

        public FedAvg build() {
            if (instructions == null) {
                throw new IllegalStateException("instructions are required");
            }
            if (minAvailableSet == null) {
                minAvailableClients = Math.max(minAvailableClients, minFitClients);
            }
            minAcceptedUpdates = minAcceptedSet != null ? minAcceptedSet : Math.max(1, (minFitClients + 1) / 2);
            if (minAcceptedUpdates > minFitClients) {
                throw new IllegalStateException("minAcceptedUpdates (" + minAcceptedUpdates
                        + ") cannot exceed minFitClients (" + minFitClients + ")");
            }
            // fewer connected clients than minFitClients is a round with all of them: it counts with
            // minAcceptedUpdates, so only that many must be there for a round to be worth starting
            if (minAvailableClients < minAcceptedUpdates) {
                throw new IllegalStateException("minAvailableClients (" + minAvailableClients
                        + ") must be at least minAcceptedUpdates (" + minAcceptedUpdates + ")");
            }
            return new FedAvg(this);
        }
    }
}
