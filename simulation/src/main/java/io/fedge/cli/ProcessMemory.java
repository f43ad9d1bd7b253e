package io.fedge.cli;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A process's peak memory, for the final line of long-running commands: the heap's peak (the
 * most it held just before any collection, told by the JVM's GC notifications, so nothing polls)
 * and its peak live set (the most it held right after one), and the peak resident set size
 * ({@code VmHWM} of {@code /proc/self/status}, which the kernel keeps). Unlike {@link HeapProbe}
 * it forces no collection and costs nothing measurable.
 */
final class ProcessMemory implements AutoCloseable {
    private static final long MIB = 1 << 20;

    private final Set<String> heapPools = new HashSet<>();
    private final AtomicLong peakUsed = new AtomicLong();
    private final AtomicLong peakLive = new AtomicLong();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener onCollection = this::collected;

    private ProcessMemory() {
    }

    /** Starts watching this JVM's collections. */
    static ProcessMemory watch() {
        ProcessMemory m = new ProcessMemory();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                m.heapPools.add(pool.getName());
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(m.onCollection, null, null);
                m.emitters.add(emitter);
            }
        }
        return m;
    }

    private void collected(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        peakUsed.accumulateAndGet(heapSum(info.getGcInfo().getMemoryUsageBeforeGc()), Math::max);
        peakLive.accumulateAndGet(heapSum(info.getGcInfo().getMemoryUsageAfterGc()), Math::max);
    }

    private long heapSum(Map<String, MemoryUsage> usage) {
        long sum = 0;
        for (Map.Entry<String, MemoryUsage> e : usage.entrySet()) {
            if (heapPools.contains(e.getKey())) {
                sum += e.getValue().getUsed();
            }
        }
        return sum;
    }

    /** The most heap in use at any point so far: before the largest collection, or now if more. */
    long peakHeapBytes() {
        return Math.max(peakUsed.get(), ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }

    /** The most heap live right after a collection so far; 0 before the first. */
    long peakLiveHeapBytes() {
        return peakLive.get();
    }

    /** The peak resident set size from {@code /proc/self/status} ({@code VmHWM}), or -1 where there is none. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024; // the kernel reports kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** {@code peak heap X MiB (live Y MiB), peak RSS Z MiB}. */
    String describe() {
        long rss = peakRssBytes();
        return String.format(Locale.ROOT, "peak heap %d MiB (live after GC %d MiB), peak RSS %s",
                peakHeapBytes() / MIB, peakLiveHeapBytes() / MIB, rss < 0 ? "unknown" : rss / MIB + " MiB");
    }

    @Override
    public void close() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(onCollection);
            } catch (ListenerNotFoundException ignored) {
                // already gone
            }
        }
        emitters.clear();
    }
}
