package io.fedge.client;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Counts a client's failed attempts to join its coordinator and decides which to report, so the
 * log says why the client cannot join without repeating itself at every retry: a reason is
 * reported the first time it appears (or comes back after another), and then again every
 * {@code repeatEvery} with the number of attempts so far. Registration starts the count afresh.
 *
 * <p>Thread-safe.
 */
final class ConnectionTrouble {
    private final long repeatEveryNanos;
    private final LongSupplier nanoClock;
    private int attempts;
    private String lastReported;
    private long lastReportedAt;
    private String lastReason;

    ConnectionTrouble(Duration repeatEvery, LongSupplier nanoClock) {
        this.repeatEveryNanos = repeatEvery.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Records a failed attempt.
     *
     * @return the line to log (without the client's name), or null if this reason was reported recently
     */
    synchronized String failed(String reason) {
        attempts++;
        lastReason = reason;
        long now = nanoClock.getAsLong();
        if (!reason.equals(lastReported)) {
            lastReported = reason;
            lastReportedAt = now;
            return "cannot join the coordinator: " + reason;
        }
        if (now - lastReportedAt >= repeatEveryNanos) {
            lastReportedAt = now;
            return "still cannot join the coordinator after " + attempts + " attempts: " + reason;
        }
        return null;
    }

    /** The client registered: the next failure is news again. */
    synchronized void joined() {
        attempts = 0;
        lastReported = null;
        lastReason = null;
    }

    /** Failed attempts since the last registration (or the start). */
    synchronized int attempts() {
        return attempts;
    }

    /** The reason of the last failed attempt, or null if none since the last registration. */
    synchronized String lastReason() {
        return lastReason;
    }
}
