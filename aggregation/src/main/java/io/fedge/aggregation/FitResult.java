package io.fedge.aggregation;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What a client reported with its update, besides the update itself.
 *
 * @param clientId who trained
 * @param numExamples how many local examples the update was computed from; the FedAvg weight
 * @param loss mean training loss of the last local epoch
 * @param metrics any further training metrics the client reported
 * @param duration how long local training took on the client
 */
public record FitResult(String clientId, long numExamples, double loss, Map<String, Double> metrics,
                        Duration duration) {
    /**
     * The client id of the one result a securely aggregated round hands its aggregation: the
     * weighted mean of the survivors' updates, weighing their total (with equal weights, their count).
     */
    public static final String SECURE_AGGREGATE = "secure-aggregate";

    public FitResult {
        Objects.requireNonNull(clientId, "clientId");
        metrics = Map.copyOf(metrics);
        Objects.requireNonNull(duration, "duration");
        if (numExamples <= 0) {
            throw new IllegalArgumentException("numExamples must be positive: " + numExamples);
        }
    }
}
