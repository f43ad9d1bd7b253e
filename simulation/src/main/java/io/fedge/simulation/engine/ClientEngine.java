package io.fedge.simulation.engine;

import io.fedge.simulation.SimulationConfig;

import java.io.IOException;

/**
 * Where a simulation's clients run. The coordinator always runs in the simulating process; without
 * an engine ({@code fedge simulate} without {@code --engine}) its clients do too, sharing one I/O
 * thread and {@code --parallel} training threads. An engine hosts them elsewhere, on machines that
 * reach the coordinator over TCP (the {@code spark} engine: Spark executors, local or on a cluster),
 * each host reading its clients' examples from its own copy of the data.
 *
 * <p>Engines are found by name ({@link ClientEngines#create}) through {@link java.util.ServiceLoader}
 * from {@link Provider}s on the class path, so that an engine's dependencies (Spark) live in an
 * optional module nothing else carries.
 */
public interface ClientEngine {
    /** The engine's name, as {@code --engine} takes it. */
    String name();

    /**
     * Why this engine cannot run {@code config}, in one line, or null if it can.
     */
    String refuses(SimulationConfig config);

    /**
     * Starts the engine (connects to its cluster) for a simulation of {@code config}.
     *
     * @throws IOException if the engine cannot start; the message says why in one line
     */
    EngineSession open(SimulationConfig config) throws IOException;

    /** Makes an engine from its options; registered in {@code META-INF/services}. */
    interface Provider {
        /** The engine's name. */
        String name();

        /**
         * An engine with {@code options} ({@code key=value} pairs from {@code --engine-option}).
         *
         * @throws IllegalArgumentException naming an unknown or malformed option
         */
        ClientEngine create(java.util.Map<String, String> options);
    }
}
