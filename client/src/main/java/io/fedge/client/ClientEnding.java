package io.fedge.client;

import java.util.Objects;

/**
 * Why a {@link FederatedClient} stopped for good.
 *
 * @param kind what ended it
 * @param reason one line saying why, for logs and exit messages
 */
public record ClientEnding(Kind kind, String reason) {
    /** What ended a client. */
    public enum Kind {
        /** The coordinator said its federation is over. */
        FINISHED,
        /**
         * The coordinator will not take this client, or the two cannot talk, whatever it retries:
         * refused identity or certificate, revoked, a protocol version it does not speak.
         */
        REFUSED,
        /** The application closed the client. */
        CLOSED,
        /** The coordinator stayed unreachable for longer than the client's give-up bound. */
        GAVE_UP
    }

    public ClientEnding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
    }

    /** Whether the client ended without the federation finishing or the application asking. */
    public boolean isFailure() {
        return kind == Kind.REFUSED || kind == Kind.GAVE_UP;
    }
}
