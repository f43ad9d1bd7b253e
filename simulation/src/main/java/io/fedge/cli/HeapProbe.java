package io.fedge.cli;

import io.fedge.coordinator.RoundListener;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures the coordinator's live heap while it aggregates: a full collection when the first
 * round starts, before the strategy allocates its accumulator (the idle baseline, with every
 * client connected and the model loaded), and after every folded update (so each sample is the
 * live set at that moment, not garbage). For benchmarks only: each sample costs a full GC.
 */
final class HeapProbe implements RoundListener {
    private final List<Long> roundPeaks = new ArrayList<>();
    private long baseline = -1;
    private long peak;
    private int samples;

    /**
     * The live heap: what the heap pools held right after a full collection. Read from the
     * pools' collection usage, not the current usage, which also counts whatever other threads
     * allocated since the collection.
     */
    private static long liveHeap() {
        System.gc();
        long live = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage afterGc = pool.getCollectionUsage();
            if (pool.getType() == MemoryType.HEAP && afterGc != null) {
                live += afterGc.getUsed();
            }
        }
        return live;
    }

    @Override
    public synchronized void roundStarted(long round, int selected) {
        if (baseline < 0) {
            baseline = liveHeap();
        }
        roundPeaks.add(0L);
    }

    @Override
    public synchronized void clientFinished(long round, String clientId, boolean accepted) {
        long live = liveHeap();
        peak = Math.max(peak, live);
        int last = roundPeaks.size() - 1;
        if (last >= 0) {
            roundPeaks.set(last, Math.max(roundPeaks.get(last), live));
        }
        samples++;
    }

    /** One JSON line describing the measurement, relative to a model of {@code modelBytes}. */
    synchronized String report(long modelBytes) {
        StringBuilder perRound = new StringBuilder();
        for (long p : roundPeaks) {
            perRound.append(perRound.length() == 0 ? "" : ", ")
                    .append(String.format(Locale.ROOT, "%.2f", (double) (p - baseline) / modelBytes));
        }
        long above = peak - baseline;
        return String.format(Locale.ROOT, "{\"heap_baseline_bytes\": %d, \"heap_peak_bytes\": %d, "
                        + "\"above_baseline_bytes\": %d, \"model_bytes\": %d, \"above_baseline_in_models\": %.2f, "
                        + "\"per_round_in_models\": [%s], \"samples\": %d}",
                baseline, peak, above, modelBytes, (double) above / modelBytes, perRound, samples);
    }
}
