package io.fedge.coordinator;

import java.util.function.LongSupplier;

/**
 * A token bucket: holds at most {@code burst} tokens, refilled at {@code perSecond}; what a rate
 * limit takes from. Not thread-safe: one per connection, used on its event loop.
 */
final class TokenBucket {
    private final double perSecond;
    private final double burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long last;

    TokenBucket(double perSecond, double burst, LongSupplier nanoClock) {
        if (!(perSecond > 0) || !(burst >= 1)) {
            throw new IllegalArgumentException("need perSecond > 0 and burst >= 1: " + perSecond + ", " + burst);
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    /** Takes {@code n} tokens if the bucket, refilled to now, holds them; returns whether it did. */
    boolean take(double n) {
        long now = nanoClock.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * 1e-9 * perSecond);
        last = now;
        if (n > tokens) {
            return false;
        }
        tokens -= n;
        return true;
    }

    double perSecond() {
        return perSecond;
    }

    double burst() {
        return burst;
    }
}
