package io.fedge.cli;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The peaks {@code fedge swarm} and {@code fedge coordinator} report, against the JVM's and the kernel's own figures. */
class ProcessMemoryTest {
    @Test
    void collectionsAreHeardAndThePeaksBoundWhatTheJvmAndKernelSay() {
        try (ProcessMemory m = ProcessMemory.watch()) {
            byte[][] held = new byte[16][];
            for (int i = 0; i < held.length; i++) {
                held[i] = new byte[1 << 20];
            }
            System.gc();
            await().atMost(Duration.ofSeconds(10)).until(() -> m.peakLiveHeapBytes() > 0);
            assertTrue(m.peakLiveHeapBytes() >= 16L << 20, "16 MiB held through the collection: "
                    + m.peakLiveHeapBytes());
            assertTrue(m.peakHeapBytes() >= m.peakLiveHeapBytes());
            assertTrue(m.peakHeapBytes() >= ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() - (64L << 20));
            assertEquals(16, held.length);
        }
    }

    @Test
    void thePeakRssIsTheKernelsHighWaterMark() throws Exception {
        // the current RSS first: the high-water mark read after it can only be as high or higher
        String status = Files.readString(Path.of("/proc/self/status"));
        long current = 0;
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                current = Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
            }
        }
        assertTrue(current > 0, status);
        long rss = ProcessMemory.peakRssBytes();
        assertTrue(rss >= current, "the high-water mark is at least the current RSS: " + rss + " < " + current);
    }
}
