package io.fedge.coordinator;

/**
 * What happened in one training round. Accuracy and loss are NaN when there was nothing to
 * evaluate (no server-side test set, or a failed round).
 *
 * @param round the round number, from 1
 * @param succeeded whether enough updates arrived for the model to advance
 * @param modelVersion the global model version after the round
 * @param selected how many clients were asked to train
 * @param clients how many updates were accepted into the aggregate
 * @param failures how many selected clients produced no usable update
 * @param testAccuracy server-side test accuracy of the model after the round
 * @param testLoss server-side mean test loss after the round
 * @param trainLoss example-weighted mean training loss the clients reported
 * @param federatedAccuracy example-weighted accuracy the evaluating clients reported (NaN if none)
 * @param roundSeconds wall time from sending the tasks to publishing the model, evaluation excluded
 * @param evalSeconds wall time of the server-side evaluation
 * @param bytesUp bytes received from clients in the round, frames and headers included
 * @param bytesDown bytes sent to clients in the round, frames and headers included
 * @param secAggClientSeconds in a securely aggregated round, the mean seconds an accepted client spent on
 *     secure-aggregation work (keys, shares, masking), as the clients reported it; NaN otherwise
 * @param secAggCoordinatorSeconds in a securely aggregated round, the coordinator's seconds of
 *     secure-aggregation work (graph, relaying, summing, reconstructing, unmasking), waits excluded; NaN otherwise
 * @param outcome for a round that did not advance the model, why (one line); empty for one that did
 * @param notCounted every selected client whose update did not count, with the reason
 * @param strategyMetrics what the strategy measured of the round ({@code Strategy#roundMetrics}): the
 *     privacy spent so far, a clip bound, how many updates it kept; empty for most strategies
 * @param evaluationMetrics the detailed metrics of the evaluations after the round, as flat named numbers:
 *     the server-side evaluation's ({@code io.fedge.core.metrics.Metrics#toMap}: {@code macro_f1},
 *     {@code f1/c}, {@code confusion/a/p}, ... for a classifier; {@code mse}, {@code mae}, {@code mse/t}, ...
 *     for a regression), {@code federated_loss}, the example-weighted loss the evaluating clients
 *     reported, and their detailed metrics merged under {@link #FEDERATED_METRICS} ({@code
 *     federated/macro_f1}, ...); empty when nothing was evaluated
 */
public record RoundRecord(long round, boolean succeeded, long modelVersion, int selected, int clients, int failures,
                          double testAccuracy, double testLoss, double trainLoss, double federatedAccuracy,
                          double roundSeconds, double evalSeconds, long bytesUp, long bytesDown,
                          double secAggClientSeconds, double secAggCoordinatorSeconds, String outcome,
                          java.util.List<io.fedge.aggregation.Failure> notCounted,
                          java.util.Map<String, Double> strategyMetrics,
                          java.util.Map<String, Double> evaluationMetrics) {
    /** The prefix of the evaluating clients' merged detailed metrics in {@link #evaluationMetrics}. */
    public static final String FEDERATED_METRICS = "federated/";

    public RoundRecord {
        outcome = outcome == null ? "" : outcome;
        notCounted = notCounted == null ? java.util.List.of() : java.util.List.copyOf(notCounted);
        strategyMetrics = strategyMetrics == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(strategyMetrics));
        evaluationMetrics = evaluationMetrics == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(evaluationMetrics));
    }

    /** A record without evaluation metrics. */
    public RoundRecord(long round, boolean succeeded, long modelVersion, int selected, int clients, int failures,
                       double testAccuracy, double testLoss, double trainLoss, double federatedAccuracy,
                       double roundSeconds, double evalSeconds, long bytesUp, long bytesDown,
                       double secAggClientSeconds, double secAggCoordinatorSeconds, String outcome,
                       java.util.List<io.fedge.aggregation.Failure> notCounted,
                       java.util.Map<String, Double> strategyMetrics) {
        this(round, succeeded, modelVersion, selected, clients, failures, testAccuracy, testLoss, trainLoss,
                federatedAccuracy, roundSeconds, evalSeconds, bytesUp, bytesDown, secAggClientSeconds,
                secAggCoordinatorSeconds, outcome, notCounted, strategyMetrics, java.util.Map.of());
    }

    /** A record without strategy metrics. */
    public RoundRecord(long round, boolean succeeded, long modelVersion, int selected, int clients, int failures,
                       double testAccuracy, double testLoss, double trainLoss, double federatedAccuracy,
                       double roundSeconds, double evalSeconds, long bytesUp, long bytesDown,
                       double secAggClientSeconds, double secAggCoordinatorSeconds, String outcome,
                       java.util.List<io.fedge.aggregation.Failure> notCounted) {
        this(round, succeeded, modelVersion, selected, clients, failures, testAccuracy, testLoss, trainLoss,
                federatedAccuracy, roundSeconds, evalSeconds, bytesUp, bytesDown, secAggClientSeconds,
                secAggCoordinatorSeconds, outcome, notCounted, java.util.Map.of());
    }

    /** A record without failure details, as older histories hold. */
    public RoundRecord(long round, boolean succeeded, long modelVersion, int selected, int clients, int failures,
                       double testAccuracy, double testLoss, double trainLoss, double federatedAccuracy,
                       double roundSeconds, double evalSeconds, long bytesUp, long bytesDown,
                       double secAggClientSeconds, double secAggCoordinatorSeconds) {
        this(round, succeeded, modelVersion, selected, clients, failures, testAccuracy, testLoss, trainLoss,
                federatedAccuracy, roundSeconds, evalSeconds, bytesUp, bytesDown, secAggClientSeconds,
                secAggCoordinatorSeconds, "", java.util.List.of());
    }
}
