package io.fedge.aggregation;

import java.util.Objects;

/**
 * A selected client that produced no usable result, and why (disconnected, timed out, refused).
 */
public record Failure(String clientId, String reason) {
    public Failure {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(reason, "reason");
    }
}
