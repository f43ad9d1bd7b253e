package io.fedge.simulation.engine;

import java.net.InetAddress;
import java.util.List;
import java.util.function.Consumer;

/**
 * One simulation's use of a {@link ClientEngine}: opened before the coordinator binds (so that it
 * binds where the clients can reach it), given the clients once it listens, closed after the
 * coordinator has told them the federation is over.
 */
public interface EngineSession extends AutoCloseable {
    /** The local address the coordinator binds to: one the engine's hosts reach. */
    InetAddress coordinatorHost();

    /**
     * Starts hosting the clients of {@code federation}; returns at once.
     *
     * @param failed told, in one line, if the engine can no longer host them (its job failed):
     *     the simulation stops with that reason
     */
    void start(HostedFederation federation, Consumer<String> failed);

    /**
     * Waits, at most {@code federation}'s bound, for the hosts to end after the coordinator said goodbye, and
     * returns how each client ended (empty if the engine never started them), then stops the engine.
     */
    List<ClientOutcome> finish();

    /** Stops the engine at once; idempotent. */
    @Override
    void close();
}
