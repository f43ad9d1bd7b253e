package io.fedge.aggregation;

import io.fedge.core.model.GlobalModel;

import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

/**
 * SCAFFOLD (Karimireddy et al. 2020, "Stochastic Controlled Averaging for Federated Learning",
 * Algorithm 1 with option II): the server keeps a control variate {@code c}, one float per
 * parameter, and sends it with every task; each client corrects every local gradient by
 * {@code c - c_i}, keeps its own {@code c_i} between rounds, and uploads
 * {@code [y_i - x ; c_i+ - c_i]}, twice the model's length. The server then takes
 *
 * <pre>
 * x' = x + eta * mean(dy)
 * c' = c + (|S| / N) * mean(dc)
 * </pre>
 *
 * with the means weighted by example counts and folded as the updates stream in (one double per
 * value of the 2P-vector: {@link WeightedMean}), {@code N} the clients that could have been
 * selected for the round (connected and able to follow SCAFFOLD) and {@code |S|} the selected
 * clients whose updates are in the aggregate. Only the means are used, so it runs under secure
 * aggregation, where the aggregate is one update and {@code |S|} is the survivors: the selected
 * clients less the failures the coordinator reports.
 *
 * <p>{@code c'} takes effect only once the model it was computed with is published: the next plan
 * sees the model's version and keeps {@code c} if the round's model was refused. {@code c} (and a
 * {@code c'} still waiting for its model) is the state the coordinator persists after every round.
 * The control deltas must arrive exactly as clients computed them, so lossy codecs are refused
 * ({@link #incompatibility}).
 *
 * <p>Not thread-safe: the coordinator calls a strategy from one thread at a time.
 */
public final class Scaffold extends SampledStrategy {
    /** The name it is registered and persisted under. */
    public static final String NAME = "scaffold";

    private final double eta;
    /** The server control variate; null until the first plan, which sizes it to the model (zeros). */
    private float[] c;
    /** The control variate of the last aggregation, waiting for its model to be published; null if none. */
    private float[] pending;
    /** The model version that publishes {@link #pending}. */
    private long pendingVersion = -1;
    /** The round the last plan was made for, the clients it could have selected (N) and selected. */
    private long plannedRound = -1;
    private int plannedAvailable;
    private int plannedSelected;

    /**
     * @param sampling selection and instructions; SCAFFOLD's local training is added to them
     * @param eta the global step size, in (0, 1000]; 1 is the paper's default
     */
    public Scaffold(Sampling sampling, double eta) {
        super(withScaffold(sampling));
        if (!(eta > 0 && eta <= 1e3)) {
            throw new IllegalArgumentException("eta must be in (0, 1000]: " + eta);
        }
        this.eta = eta;
    }

    private static Sampling withScaffold(Sampling s) {
        FitInstructions i = s.instructions();
        return i.local().scaffold() ? s : s.withInstructions(i.withLocal(i.local().withScaffold(true)));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The global step size. */
    public double eta() {
        return eta;
    }

    /** The control variate the next plan sends (a copy), or null before the first plan. */
    public float[] controlVariate() {
        return c == null ? null : c.clone();
    }

    @Override
    public boolean supportsSecureAggregation() {
        return true;
    }

    @Override
    public Optional<String> incompatibility(boolean secureAggregation, Predicate<String> lossy) {
        Optional<String> base = super.incompatibility(secureAggregation, lossy);
        if (base.isPresent()) {
            return base;
        }
        for (String codec : codecs()) {
            if (lossy.test(codec)) {
                return Optional.of("strategy " + NAME + " needs its updates exactly as clients computed them (the "
                        + "control-variate deltas are summed into the server's c), and codec '" + codec
                        + "' is lossy; use fp32 or fp32+zstd");
            }
        }
        return Optional.empty();
    }

    /**
     * Always refused: the plan carries the control variate, one float per parameter of the model,
     * so SCAFFOLD plans with {@link #configureFit(long, GlobalModel, List, Random)}.
     */
    @Override
    public FitPlan configureFit(long round, List<ClientInfo> available, Random rng) {
        throw new IllegalStateException("strategy " + NAME + " plans a round with its model: its control variate has "
                + "one value per parameter (configureFit(round, current, available, rng))");
    }

    @Override
    public FitPlan configureFit(long round, GlobalModel current, List<ClientInfo> available, Random rng) {
        settle(current.version());
        int p = current.parameterCount();
        if (c == null) {
            c = new float[p];
        } else if (c.length != p) {
            throw new IllegalStateException("the control variate has " + c.length + " values, the model "
                    + p + " parameters");
        }
        FitPlan plan = sampling.configureFit(round, available, rng);
        int n = 0;
        for (ClientInfo info : available) {
            if (Sampling.eligible(info, plan.instructions())) {
                n++;
            }
        }
        plannedRound = round;
        plannedAvailable = n;
        plannedSelected = plan.clients().size();
        return plan.withControlVariate(c.clone());
    }

    /** The last aggregation's control variate becomes {@code c} if its model is the one now current, else it is dropped. */
    private void settle(long currentVersion) {
        if (pending != null && currentVersion == pendingVersion) {
            c = pending;
        }
        pending = null;
        pendingVersion = -1;
    }

    @Override
    public FitAggregation beginFit(long round, GlobalModel current) {
        if (round != plannedRound || c == null || c.length != current.parameterCount()) {
            throw new IllegalStateException("strategy " + NAME + " aggregates only the round it planned last ("
                    + plannedRound + "), with its model; asked for round " + round);
        }
        return aggregation(current, c);
    }

    /** The example-weighted mean of the 2P-vectors, streamed ({@link FedAvg.MeanAggregation}), and the two steps with it. */
    private FitAggregation aggregation(GlobalModel current, float[] control) {
        int p = current.parameterCount();
        int available = plannedAvailable;
        int selected = plannedSelected;
        return new FedAvg.MeanAggregation(2 * p, (mean, failures) -> {
            // |S|: the selected clients whose updates are in the mean (under secure aggregation it is one update)
            int inAggregate = selected - failures.size();
            if (inAggregate < 1) {
                inAggregate = mean.count();
            }
            double share = available == 0 ? 1 : Math.min(1.0, (double) inAggregate / available);
            float[] x = new float[p];
            float[] next = new float[p];
            for (int i = 0; i < p; i++) {
                x[i] = (float) (current.parameter(i) + eta * mean.mean(i));
                next[i] = (float) (control[i] + share * mean.mean(p + i));
            }
            pending = next;
            pendingVersion = current.version() + 1;
            return x;
        });
    }

    @Override
    public byte[] state() {
        return StrategyState.writer(NAME).doubles(pendingVersion)
                .floats(c == null ? new float[0] : c)
                .floats(pending == null ? new float[0] : pending)
                .toBytes();
    }

    @Override
    public void restoreState(byte[] state) {
        if (state.length == 0) {
            return;
        }
        StrategyState.Reader r = StrategyState.reader(NAME, state);
        double[] head = r.doubles();
        float[] savedC = r.floats();
        float[] savedPending = r.floats();
        if (head.length != 1 || savedC.length == 0 && savedPending.length > 0
                || savedPending.length > 0 && savedPending.length != savedC.length) {
            throw new IllegalArgumentException("the saved state is not a " + NAME + " control variate");
        }
        c = savedC.length == 0 ? null : savedC;
        pending = savedPending.length == 0 ? null : savedPending;
        pendingVersion = pending == null ? -1 : (long) head[0];
    }

    @Override
    public String toString() {
        return NAME + "[eta=" + eta + ", " + sampling + "]";
    }
}
