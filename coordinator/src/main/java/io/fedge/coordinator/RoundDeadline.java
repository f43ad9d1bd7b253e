package io.fedge.coordinator;

import java.nio.ByteBuffer;

/**
 * How long selected clients have to deliver. A fixed deadline when the user sets one; otherwise
 * sized from the task: before anything was observed, {@code 60 s + 2 * modelBytes / 256 KB/s}
 * (a download and an upload over a slow link, plus training); after a round that advanced the
 * model, {@code 3 * slowest + 5 s} of that round's accepted clients (task out to update
 * folded), within [10 s, the maximum]. The slowest response is state, persisted with the round loop's.
 *
 * <p>Used by the round thread only.
 */
final class RoundDeadline {
    private static final long FLOOR_MILLIS = 10_000;
    private static final double SLOW_LINK_BYTES_PER_SECOND = 256 * 1024;

    private final boolean fixed;
    private final long maxMillis;
    private final long initialMillis;
    private double slowestSeconds = Double.NaN;

    private RoundDeadline(boolean fixed, long maxMillis, long initialMillis) {
        this.fixed = fixed;
        this.maxMillis = maxMillis;
        this.initialMillis = initialMillis;
    }

    static RoundDeadline fixed(long millis) {
        return new RoundDeadline(true, millis, millis);
    }

    /** Sized from the task and from what rounds take, never above {@code maxMillis}. */
    static RoundDeadline adaptive(long modelBytes, long maxMillis) {
        long initial = 60_000 + (long) (2 * modelBytes / SLOW_LINK_BYTES_PER_SECOND * 1000);
        return new RoundDeadline(false, maxMillis, Math.min(maxMillis, Math.max(FLOOR_MILLIS, initial)));
    }

    /** This round's time for clients to deliver. */
    long millis() {
        if (fixed || Double.isNaN(slowestSeconds)) {
            return initialMillis;
        }
        long adaptive = (long) (3 * slowestSeconds * 1000) + 5_000;
        return Math.min(maxMillis, Math.max(FLOOR_MILLIS, adaptive));
    }

    /** Learns from a round that advanced the model: seconds from task to folded update of each accepted client. */
    void observe(double[] responseSeconds) {
        double slowest = Double.NaN;
        for (double s : responseSeconds) {
            slowest = Double.isNaN(slowest) ? s : Math.max(slowest, s);
        }
        if (!Double.isNaN(slowest)) {
            slowestSeconds = slowest;
        }
    }

    byte[] state() {
        return ByteBuffer.allocate(8).putDouble(slowestSeconds).array();
    }

    void restore(byte[] state) {
        if (state != null && state.length == 8) {
            double d = ByteBuffer.wrap(state).getDouble();
            slowestSeconds = Double.isFinite(d) && d >= 0 ? d : Double.NaN;
        }
    }

    @Override
    public String toString() {
        return fixed ? "fixed " + initialMillis + " ms" : "adaptive, now " + millis() + " ms (max " + maxMillis + " ms)";
    }
}
