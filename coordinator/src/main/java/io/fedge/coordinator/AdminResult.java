package io.fedge.coordinator;

import java.util.Objects;

/**
 * What an administrative request (promote, rollback) came to: done, accepted for the next round
 * boundary, or refused because the version is unknown or the request conflicts with the state,
 * with the one line a person reads.
 */
public record AdminResult(Status status, String message) {
    /** How a request ended. */
    public enum Status {
        /** Done and durable. */
        DONE,
        /** Recorded; the round thread applies it when the round in flight ends. */
        ACCEPTED,
        /** No such model version. */
        NOT_FOUND,
        /** Refused: the state does not allow it (guard, pruned file, no state folder). */
        CONFLICT
    }

    public AdminResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(message, "message");
    }

    /** Whether the request was done or accepted. */
    public boolean ok() {
        return status == Status.DONE || status == Status.ACCEPTED;
    }

    static AdminResult done(String message) {
        return new AdminResult(Status.DONE, message);
    }

    static AdminResult accepted(String message) {
        return new AdminResult(Status.ACCEPTED, message);
    }

    static AdminResult notFound(long version) {
        return new AdminResult(Status.NOT_FOUND, "no model version " + version + " in the registry");
    }

    static AdminResult conflict(String message) {
        return new AdminResult(Status.CONFLICT, message);
    }
}
