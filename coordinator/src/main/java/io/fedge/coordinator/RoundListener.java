package io.fedge.coordinator;

/**
 * Told about round progress, for progress bars and logs. Called from the coordinator's round
 * thread; implementations must return quickly and must not throw.
 */
public interface RoundListener {
    /** A round started with {@code selected} clients. */
    default void roundStarted(long round, int selected) {
    }

    /** One selected client's update was accepted or refused, or the client dropped out. */
    default void clientFinished(long round, String clientId, boolean accepted) {
    }

    /**
     * An accepted update's L2 norm, {@code norm}, was over the round's bound: it was scaled down
     * to {@code bound} before it was folded in.
     */
    default void updateClipped(long round, String clientId, double norm, double bound) {
    }

    /**
     * In a securely aggregated round, the clients in {@code committed} shared their secrets and
     * were told whom to mask against: from here on, one that drops out is recovered from shares.
     */
    default void secureAggregationCommitted(long round, java.util.Set<String> committed) {
    }

    /** A round ended; {@code record} is already in the history. */
    default void roundFinished(RoundRecord record) {
    }
}
