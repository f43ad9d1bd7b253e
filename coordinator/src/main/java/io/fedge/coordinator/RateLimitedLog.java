package io.fedge.coordinator;

import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Logs at INFO at most one line per key per interval, and says in the next line it logs for that
 * key how many it left out, so a flood of refusals costs one line a second and still tells the
 * operator how many there were. Thread-safe.
 */
final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        long loggedAt;
        long suppressed;
        boolean any;
    }

    RateLimitedLog(Logger log, long intervalNanos, LongSupplier nanoClock) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("intervalNanos must be positive: " + intervalNanos);
        }
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
    }

    /** One line a second per key, on the system's nano clock. */
    static RateLimitedLog perSecond(Logger log) {
        return new RateLimitedLog(log, 1_000_000_000L, System::nanoTime);
    }

    /**
     * Logs {@code line} unless a line with this key was logged within the interval.
     *
     * @return whether it was logged
     */
    boolean info(String key, String line) {
        Window w = windows.computeIfAbsent(key, k -> new Window());
        long left;
        synchronized (w) {
            long now = nanoClock.getAsLong();
            if (w.any && now - w.loggedAt < intervalNanos) {
                w.suppressed++;
                return false;
            }
            w.any = true;
            w.loggedAt = now;
            left = w.suppressed;
            w.suppressed = 0;
        }
        if (left > 0) {
            log.info("{} ({} more like it in the last {} ms)", line, left, intervalNanos / 1_000_000);
        } else {
            log.info(line);
        }
        return true;
    }

    /** How many lines with this key were left out since its last logged one. */
    long suppressed(String key) {
        Window w = windows.get(key);
        if (w == null) {
            return 0;
        }
        synchronized (w) {
            return w.suppressed;
        }
    }
}
