package io.fedge.coordinator;

import io.fedge.aggregation.Strategy;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Evaluates a newly published model: on the server's test set (when the coordinator has an
 * evaluator) and on the clients' own data (when the strategy asks for federated evaluation). A
 * failed evaluation is logged and recorded as NaN; it never fails the round.
 *
 * <p>Used by the round thread only.
 */
final class RoundEvaluations {
    private static final Logger log = LoggerFactory.getLogger(RoundEvaluations.class);

    private final CoordinatorState state;
    private final Strategy strategy;
    private final ServerEvaluator evaluator;

    RoundEvaluations(CoordinatorState state, Strategy strategy, ServerEvaluator evaluator) {
        this.state = state;
        this.strategy = strategy;
        this.evaluator = evaluator;
    }

    /** The server's evaluation of {@code m}, or null without an evaluator or when it failed. */
    Evaluation server(long round, GlobalModel m) {
        if (evaluator == null) {
            return null;
        }
        try {
            return evaluator.evaluate(m);
        } catch (RuntimeException e) {
            log.warn("round {}: server-side evaluation failed, recorded as NaN: {}", round, e.toString());
            return null;
        }
    }

    /** The clients' combined evaluation, or null when none evaluated or it failed. */
    Evaluation federated(long round, GlobalModel m, ModelBroadcast broadcast, long deadlineMillis, Random rng)
            throws InterruptedException {
        try {
            return new FederatedEvaluation(state, strategy, broadcast).run(round, m, deadlineMillis, rng).orElse(null);
        } catch (RuntimeException e) {
            log.warn("round {}: federated evaluation failed, recorded as NaN: {}", round, e.toString());
            return null;
        }
    }

    /**
     * The server evaluation's detailed metrics, the clients' mean loss and, where every evaluating
     * client sent them, the clients' detailed metrics merged (under {@link RoundRecord#FEDERATED_METRICS}), for the
     * round record.
     */
    static Map<String, Double> metrics(Evaluation server, Evaluation federated) {
        Map<String, Double> m = new TreeMap<>();
        if (server != null && server.metrics() != null) {
            m.putAll(server.metrics().toMap());
        }
        if (federated != null) {
            m.put("federated_loss", federated.loss());
            if (federated.metrics() != null) { // the clients' detailed metrics, merged: federated/macro_f1, ...
                federated.metrics().toMap().forEach((k, v) -> m.put(RoundRecord.FEDERATED_METRICS + k, v));
            }
        }
        return m;
    }
}
