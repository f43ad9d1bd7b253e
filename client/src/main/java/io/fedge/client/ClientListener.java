package io.fedge.client;

/**
 * Told about one client's connection and tasks, for tools that run many clients (swarms,
 * simulations) and report on them. Called on the client's event loop; implementations must
 * return quickly and must not throw.
 */
public interface ClientListener {
    /** The coordinator welcomed the client on a new connection. */
    default void registered(String clientId) {
    }

    /** A connection closed; {@code wasRegistered} says whether the coordinator had welcomed the client on it. */
    default void disconnected(String clientId, boolean wasRegistered) {
    }

    /** An attempt to join failed before the coordinator welcomed the client, for {@code reason} (one line). */
    default void joinFailed(String clientId, String reason) {
    }

    /** The coordinator sent a training task for {@code round}. */
    default void trainTask(String clientId, long round) {
    }
}
