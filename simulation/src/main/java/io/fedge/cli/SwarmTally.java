package io.fedge.cli;

import io.fedge.client.ClientListener;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** What {@code fedge swarm}'s clients went through together: how many were registered at once at most, and which rounds reached them. */
final class SwarmTally implements ClientListener {
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger peakConnected = new AtomicInteger();
    private final Set<Long> rounds = ConcurrentHashMap.newKeySet();

    @Override
    public void registered(String clientId) {
        peakConnected.accumulateAndGet(connected.incrementAndGet(), Math::max);
    }

    @Override
    public void disconnected(String clientId, boolean wasRegistered) {
        if (wasRegistered) {
            connected.decrementAndGet();
        }
    }

    @Override
    public void trainTask(String clientId, long round) {
        rounds.add(round);
    }

    /** The most clients registered at the same time. */
    int peakConnected() {
        return peakConnected.get();
    }

    /** How many distinct rounds sent a training task to one of the clients. */
    int roundsSeen() {
        return rounds.size();
    }
}
