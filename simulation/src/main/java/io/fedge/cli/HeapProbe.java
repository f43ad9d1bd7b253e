package io.fedge.cli;

import io.fedge.coordinator.RoundListener;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;

/**
 * Measures the coordinator's live heap while it aggregates: a full collection when the first
 * round starts (the idle baseline, with every client connected and the model encoded) and after
 * every folded update (so each sample is the live set at that moment, not garbage). For
 * benchmarks only: each sample costs a full GC.
 */
final class HeapProbe implements RoundListener {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private long baseline = -1;
    private long peak;
    private int samples;

    private long liveHeap() {
        System.gc();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    @Override
    public synchronized void roundStarted(long round, int selected) {
        if (baseline < 0) {
            baseline = liveHeap();
        }
    }

    @Override
    public synchronized void clientFinished(long round, String clientId, boolean accepted) {
        peak = Math.max(peak, liveHeap());
        samples++;
    }

    /** One line describing the measurement, relative to a model of {@code modelBytes}. */
    synchronized String report(long modelBytes) {
        long above = peak - baseline;
        return String.format(Locale.ROOT, "{\"heap_baseline_bytes\": %d, \"heap_peak_bytes\": %d, "
                        + "\"above_baseline_bytes\": %d, \"model_bytes\": %d, \"above_baseline_in_models\": %.2f, "
                        + "\"samples\": %d}", baseline, peak, above, modelBytes, (double) above / modelBytes, samples);
    }
}
