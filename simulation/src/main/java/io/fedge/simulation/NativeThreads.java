package io.fedge.simulation;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Sets how many threads ND4J's native code (OpenMP loops and BLAS) may use per operation. When
 * several clients train at once, each on its own Java thread, one native thread per operation
 * avoids oversubscribing the cores; a single trainer may use them all.
 */
public final class NativeThreads {
    private NativeThreads() {
    }

    /** Limits native code to {@code threads} threads per operation. */
    public static void limit(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive: " + threads);
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        if (Boolean.getBoolean("fedge.noPeriodicGc")) {
            Nd4j.getMemoryManager().togglePeriodicGc(false);
        }
    }
}
