package io.fedge.aggregation;

import io.fedge.core.CodecNames;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Function;

/**
 * How a strategy picks the clients of each round and what it tells them, shared by every
 * strategy that samples a fraction of the fleet (Flower's {@code fraction_fit},
 * {@code min_fit_clients} and {@code min_available_clients}): selection, over-selection against
 * stragglers, the fewest accepted updates with which a round counts, warm-up codecs, federated
 * evaluation, and the instructions. A client is eligible only if it can encode the round's codec
 * and announced every feature the instructions' local training needs.
 *
 * <p>Immutable.
 */
public final class Sampling {
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

    private Sampling(Builder<?> b) {
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

    private Sampling(Sampling s, FitInstructions instructions) {
        this.minAcceptedUpdates = s.minAcceptedUpdates;
        this.overSelection = s.overSelection;
        this.warmupCodecs = s.warmupCodecs;
        this.fractionFit = s.fractionFit;
        this.minFitClients = s.minFitClients;
        this.minAvailableClients = s.minAvailableClients;
        this.fractionEvaluate = s.fractionEvaluate;
        this.minEvaluateClients = s.minEvaluateClients;
        this.evaluateBatchSize = s.evaluateBatchSize;
        this.instructions = Objects.requireNonNull(instructions, "instructions");
    }

    /** A builder whose {@code build()} returns the sampling itself. */
    public static Builder<Sampling> builder() {
        return new Builder<>(Function.identity());
    }

    /** A builder whose {@code build()} hands the sampling to {@code finisher}, such as a strategy's constructor. */
    public static <S> Builder<S> builder(Function<Sampling, S> finisher) {
        return new Builder<>(finisher);
    }

    /** The same sampling with other instructions (a strategy adding its local training). */
    public Sampling withInstructions(FitInstructions other) {
        return new Sampling(this, other);
    }

    public int minFitClients() {
        return minFitClients;
    }

    public int minAvailableClients() {
        return minAvailableClients;
    }

    public int minAcceptedUpdates() {
        return minAcceptedUpdates;
    }

    /** The fraction of eligible clients selected each round. */
    public double fractionFit() {
        return fractionFit;
    }

    /** How many clients round {@code round} wants (before over-selection) among {@code eligible} ones. */
    public int wanted(int eligible) {
        // The epsilon keeps 0.1 * 100 (10.000000000000002 in binary) from becoming 11.
        return Math.min(eligible, Math.max(minFitClients, (int) Math.ceil(fractionFit * eligible - 1e-9)));
    }

    /** Every codec a round may ask for: the warm-up codecs, then the instructions'. */
    public List<String> codecs() {
        List<String> all = new ArrayList<>(warmupCodecs);
        all.add(instructions.codec());
        return List.copyOf(all);
    }

    /** The instructions of round {@code round}: the warm-up codec of that round if any, else {@link #instructions()}'s. */
    public FitInstructions instructions(long round) {
        if (round >= 1 && round <= warmupCodecs.size()) {
            return instructions.withCodec(warmupCodecs.get((int) round - 1));
        }
        return instructions;
    }

    /** The instructions every selected client gets after the warm-up. */
    public FitInstructions instructions() {
        return instructions;
    }

    /** Whether {@code c} can be given {@code now}: it encodes the codec and has every feature the local training needs. */
    public static boolean eligible(ClientInfo c, FitInstructions now) {
        return CodecNames.supportedBy(now.codec(), c.codecs()) && c.features().containsAll(now.local().requiredFeatures());
    }

    /** Selects round {@code round}'s clients among {@code available}, with over-selection if configured. */
    public FitPlan configureFit(long round, List<ClientInfo> available, Random rng) {
        FitInstructions now = instructions(round);
        List<ClientInfo> eligible = new ArrayList<>();
        for (ClientInfo c : available) {
            if (eligible(c, now)) {
                eligible.add(c);
            }
        }
        int target = wanted(eligible.size());
        if (overSelection == 0) {
            return new FitPlan(sample(eligible, target, rng), now);
        }
        int selected = (int) Math.ceil(target * (1 + overSelection) - 1e-9);
        return new FitPlan(sample(eligible, selected, rng), now, Math.max(1, target));
    }

    /** The clients that evaluate each new model on their data; none unless configured. */
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
    public String toString() {
        return "fractionFit=" + fractionFit + ", minFitClients=" + minFitClients
                + ", minAvailableClients=" + minAvailableClients + ", minAcceptedUpdates=" + minAcceptedUpdates
                + (overSelection == 0 ? "" : ", overSelection=" + overSelection) + ", " + instructions
                + (warmupCodecs.isEmpty() ? "" : ", warm-up " + warmupCodecs);
    }

    /**
     * Builds the sampling of a strategy, then the strategy with {@code finisher}; each setter may
     * be called once.
     */
    public static final class Builder<S> {
        private final Function<Sampling, S> finisher;
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

        private Builder(Function<Sampling, S> finisher) {
            this.finisher = Objects.requireNonNull(finisher, "finisher");
        }

        /**
         * The fewest accepted updates with which a round counts (and the fewest eligible clients
         * with which one starts); default half of {@code minFitClients}, rounded up, so that a few
         * clients dying in a round do not throw the others' updates away.
         */
        public Builder<S> minAcceptedUpdates(int n) {
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
        public Builder<S> overSelection(double fraction) {
            if (!(fraction >= 0 && fraction <= 10)) {
                throw new IllegalArgumentException("overSelection must be in [0, 10]: " + fraction);
            }
            this.overSelection = fraction;
            return this;
        }

        /** The fraction of available clients selected each round, in (0, 1]; default 1. */
        public Builder<S> fractionFit(double fraction) {
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
        public Builder<S> minFitClients(int n) {
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
        public Builder<S> minAvailableClients(int n) {
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
        public Builder<S> evaluateOnClients(double fraction, int minimum, int batchSize) {
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
        public Builder<S> warmupCodecs(List<String> codecs) {
            this.warmupCodecs = List.copyOf(codecs);
            return this;
        }

        /** What every selected client is told to do; required. */
        public Builder<S> instructions(FitInstructions instructions) {
            if (this.instructions != null) {
                throw new IllegalStateException("instructions already set to " + this.instructions);
            }
            this.instructions = Objects.requireNonNull(instructions, "instructions");
            return this;
        }

        /** The sampling, then the strategy made from it. */
        public S build() {
            return finisher.apply(buildSampling());
        }

        /** The sampling alone. */
        public Sampling buildSampling() {
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
            return new Sampling(this);
        }
    }
}
