package io.fedge.aggregation;

import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Decides everything about a round and nothing about transport, like Flower's {@code Strategy}:
 * which clients train and how, how their updates become the next model, and who evaluates it.
 *
 * <p>Failures arrive as data. An aggregation with no usable result keeps the current model.
 * The coordinator calls a strategy from one thread at a time.
 */
public interface Strategy {
    /** A short name for logs and history, such as {@code fedavg}. */
    String name();

    /**
     * Picks the clients of a training round among {@code available} (sorted by id) and their
     * instructions. May return fewer clients than {@link #minFitClients()}; the coordinator then
     * skips the round.
     */
    FitPlan configureFit(long round, List<ClientInfo> available, Random rng);

    /**
     * {@link #configureFit(long, List, Random)}, knowing the model the round will train: what the
     * coordinator calls. A strategy whose plan depends on the model overrides this one (SCAFFOLD
     * sends a control variate of one float per parameter, and moves it only when the model it was
     * computed for was published). By default the plan ignores the model.
     */
    default FitPlan configureFit(long round, GlobalModel current, List<ClientInfo> available, Random rng) {
        return configureFit(round, available, rng);
    }

    /** Starts aggregating the round's updates on top of {@code current}. */
    FitAggregation beginFit(long round, GlobalModel current);

    /** The fewest clients selected for a round when that many are eligible. */
    int minFitClients();

    /**
     * The fewest accepted updates with which a round counts; fewer and the model is kept and the
     * round does not count toward the federation's rounds. A round also starts only with at least
     * this many eligible clients. By default {@link #minFitClients()}.
     */
    default int minAcceptedUpdates() {
        return minFitClients();
    }

    /**
     * The strategy's state between rounds (server optimizer moments, control variates), persisted
     * by the coordinator after every round and handed back to {@link #restoreState} when it
     * restarts. Empty by default: a stateless strategy.
     */
    default byte[] state() {
        return new byte[0];
    }

    /** Restores what {@link #state} returned before a restart. */
    default void restoreState(byte[] state) {
    }

    /** The fewest connected clients before a round may start. */
    int minAvailableClients();

    /**
     * Whether the strategy's aggregation depends on the updates only through their
     * example-weighted sum, so that it can run under secure aggregation: the coordinator then hands
     * {@link #beginFit}'s aggregation one update, the weighted mean of the survivors, with their
     * total example count as its weight. False by default.
     */
    default boolean supportsSecureAggregation() {
        return false;
    }

    /**
     * Every update codec this strategy may ask clients for, so the coordinator can refuse at
     * configuration time a codec it cannot decode or one that cannot work with its other
     * settings. Empty: not known in advance.
     */
    default List<String> codecs() {
        return List.of();
    }

    /**
     * Why this strategy cannot run as configured, checked when the coordinator is built: under
     * secure aggregation when it needs each update on its own, or with a lossy codec when its
     * arithmetic needs exact updates. Empty when it can.
     *
     * @param secureAggregation whether rounds aggregate securely
     * @param lossy whether a codec (by name) loses information
     */
    default Optional<String> incompatibility(boolean secureAggregation, Predicate<String> lossy) {
        if (secureAggregation && !supportsSecureAggregation()) {
            return Optional.of("strategy " + name() + " needs each update on its own, which secure aggregation hides");
        }
        return Optional.empty();
    }

    /**
     * Whether every accepted update must weigh the same in the aggregate (differential privacy
     * bounds each client's contribution, not each example's): the coordinator then caps every
     * secure-aggregation weight at 1. False by default: updates weigh their example counts.
     */
    default boolean equalWeights() {
        return false;
    }

    /**
     * What the strategy measured of the round it last finished (a privacy budget spent, a clip
     * bound, the updates it selected), recorded with the round in the history. Empty by default.
     */
    default Map<String, Double> roundMetrics() {
        return Map.of();
    }

    /**
     * Why no further round may run (a privacy budget spent), checked before each round; the
     * federation then ends as finished, with this reason. Empty by default.
     */
    default Optional<String> exhausted() {
        return Optional.empty();
    }

    /** Picks the clients that evaluate the new model on their own data; by default none. */
    default EvaluatePlan configureEvaluate(long round, List<ClientInfo> available, Random rng) {
        return EvaluatePlan.none();
    }

    /**
     * Combines the clients' evaluations: by default the example-weighted mean of accuracy and
     * loss, and, when every client sent them, their detailed metrics merged as sums (the
     * federation's confusion matrix, or its per-target errors); empty if there is none.
     */
    default Optional<Evaluation> aggregateEvaluate(long round, List<EvaluateResult> results, List<Failure> failures) {
        long n = 0;
        double acc = 0;
        double loss = 0;
        io.fedge.core.metrics.Metrics merged = null;
        boolean detailed = true;
        for (EvaluateResult r : results) {
            n += r.numExamples();
            acc += r.accuracy() * r.numExamples();
            loss += r.loss() * r.numExamples();
            if (r.metrics() == null) {
                detailed = false;
            } else if (detailed) {
                merged = merged == null ? r.metrics() : merged.merge(r.metrics());
            }
        }
        return n == 0 ? Optional.empty() : Optional.of(new Evaluation(n, acc / n, loss / n, detailed ? merged : null));
    }
}
