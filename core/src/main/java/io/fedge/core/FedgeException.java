package io.fedge.core;

import java.util.Objects;

/**
 * The one exception type fedge raises for refused input and protocol violations. Its
 * {@link #code()} says what went wrong in terms the wire protocol can carry back to the peer.
 */
public class FedgeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public FedgeException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public FedgeException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The error code that classifies this failure. */
    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return "FedgeException[" + code + "]: " + getMessage();
    }
}
