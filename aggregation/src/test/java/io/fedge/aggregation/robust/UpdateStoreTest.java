package io.fedge.aggregation.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpdateStoreTest {
    @TempDir
    Path dir;

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    private static float[] whole(Updates u, int i) {
        float[] out = new float[u.length()];
        u.read(i, 0, out, u.length());
        return out;
    }

    private long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void firstBudgetOnTheHeapTheRestSpilledAndReadBack() {
        float[][] v = RobustTesting.gaussian(11, 5, 10);
        try (UpdateStore store = new UpdateStore(10, 2, dir)) {
            for (int i = 0; i < 5; i++) {
                store.add(RobustTesting.result(i), RobustTesting.chunked(3, v[i]));
            }
            assertEquals(5, store.size());
            assertEquals(2, store.inMemory());
            assertEquals(3, store.spilled());
            for (int i = 0; i < 5; i++) {
                assertEquals("c" + i, store.result(i).clientId());
                assertArrayEquals(bits(v[i]), bits(whole(store, i)), "update " + i);
                // a block in the middle, into the middle of a destination
                float[] dst = new float[8];
                store.read(i, 4, dst, 2, 5);
                for (int c = 0; c < 5; c++) {
                    assertEquals(Float.floatToRawIntBits(v[i][4 + c]), Float.floatToRawIntBits(dst[2 + c]));
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> store.read(5, 0, new float[1], 1));
            assertThrows(IndexOutOfBoundsException.class, () -> store.read(3, 8, new float[3], 3));
        }
    }

    /** Raw float bits, little-endian, spilled update k at byte 4 k P: read from the file itself. */
    @Test
    void spilledValuesKeepTheirBitsInTheDocumentedLayout() throws IOException {
        float[] special = {Float.intBitsToFloat(0x7fc0_1234), Float.intBitsToFloat(0xffa0_0001), -0.0f, 0.0f,
            Float.MIN_VALUE, -Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 1.1754942E-38f, (float) Math.PI, -1f};
        float[] other = new float[special.length];
        for (int c = 0; c < other.length; c++) {
            other[c] = c * 0.25f - 1;
        }
        try (UpdateStore heap = new UpdateStore(special.length, 2, dir);
                UpdateStore spill = new UpdateStore(special.length, 0, dir)) {
            for (UpdateStore s : new UpdateStore[] {heap, spill}) {
                s.add(RobustTesting.result(0), RobustTesting.chunked(4, other));
                s.add(RobustTesting.result(1), RobustTesting.chunked(4, special));
            }
            assertEquals(2, spill.spilled());
            assertArrayEquals(bits(special), bits(whole(heap, 1)));
            assertArrayEquals(bits(special), bits(whole(spill, 1)));
            ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(spill.spillFile().orElseThrow()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            assertTrue(file.capacity() >= 2 * 4 * special.length);
            for (int c = 0; c < special.length; c++) {
                assertEquals(Float.floatToRawIntBits(other[c]), file.getInt(4 * c));
                assertEquals(Float.floatToRawIntBits(special[c]), file.getInt(4 * (special.length + c)));
            }
        }
    }

    /** Regions of 24 bytes (6 floats) for updates of 10: updates and reads straddle region boundaries. */
    @Test
    void updatesAndReadsCrossRegionBoundaries() {
        float[][] v = RobustTesting.gaussian(12, 7, 10);
        try (UpdateStore store = new UpdateStore(10, 0, dir, 24)) {
            for (int i = 0; i < 7; i++) {
                store.add(RobustTesting.result(i), RobustTesting.chunked(7, v[i]));
            }
            for (int i = 0; i < 7; i++) {
                assertArrayEquals(bits(v[i]), bits(whole(store, i)), "update " + i);
                for (int from = 0; from < 10; from++) {
                    float[] dst = new float[10 - from];
                    store.read(i, from, dst, dst.length);
                    for (int c = 0; c < dst.length; c++) {
                        assertEquals(v[i][from + c], dst[c], 0f);
                    }
                }
            }
        }
    }

    @Test
    void coordinatesNoChunkCoversAreZero() {
        for (int budget : new int[] {0, 1}) {
            try (UpdateStore store = new UpdateStore(6, budget, dir)) {
                store.add(RobustTesting.result(0), v -> {
                    v.visit(4, new float[] {5, 6, 99}, 2);
                    v.visit(0, new float[] {1}, 1);
                });
                assertArrayEquals(new float[] {1, 0, 0, 0, 5, 6}, whole(store, 0), 0f);
            }
        }
    }

    @Test
    void chunkOutsideTheUpdateIsRefusedAndNothingStored() {
        for (int budget : new int[] {0, 1}) {
            try (UpdateStore store = new UpdateStore(4, budget, dir)) {
                UpdateChunks past = v -> {
                    v.visit(0, new float[] {7, 7}, 2);
                    v.visit(3, new float[] {1, 2}, 2);
                };
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> store.add(RobustTesting.result(0), past));
                assertEquals("chunk [3, 5) lies outside the update's [0, 4)", e.getMessage());
                assertThrows(IllegalArgumentException.class,
                        () -> store.add(RobustTesting.result(0), v -> v.visit(-1, new float[] {1}, 1)));
                assertEquals(0, store.size());
                // The slot the refused update wrote into holds only what the next one writes.
                store.add(RobustTesting.result(1), v -> v.visit(2, new float[] {3}, 1));
                assertEquals(1, store.size());
                assertArrayEquals(new float[] {0, 0, 3, 0}, whole(store, 0), 0f);
                assertEquals("c1", store.result(0).clientId());
            }
        }
    }

    @Test
    void spillFileIsCreatedOnTheFirstSpillAndDeletedOnClose() throws IOException {
        UpdateStore store = new UpdateStore(3, 1, dir);
        store.add(RobustTesting.result(0), RobustTesting.chunked(3, new float[] {1, 2, 3}));
        assertTrue(store.spillFile().isEmpty(), "within budget, no file");
        assertEquals(0, filesIn(dir));
        store.add(RobustTesting.result(1), RobustTesting.chunked(3, new float[] {4, 5, 6}));
        Path file = store.spillFile().orElseThrow();
        assertEquals(dir, file.getParent());
        assertTrue(file.getFileName().toString().startsWith("fedge-spill"));
        assertTrue(file.getFileName().toString().endsWith(".f32"));
        assertTrue(Files.exists(file));
        store.close();
        assertFalse(Files.exists(file));
        assertEquals(0, filesIn(dir));
        store.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> store.read(0, 0, new float[3], 3));
        assertThrows(IllegalStateException.class,
                () -> store.add(RobustTesting.result(2), RobustTesting.chunked(3, new float[3])));
    }

    @Test
    void resultsAreKeptAsGiven() {
        FitResult r = RobustTesting.result("x", 42);
        try (UpdateStore store = new UpdateStore(1, 0, dir)) {
            store.add(r, v -> v.visit(0, new float[] {1}, 1));
            assertSame(r, store.result(0));
        }
    }

    /**
     * Two updates of 300,000,000 floats (1.2 GB each), all spilled: the second ends past 2.4 GB,
     * across three 1 GiB regions. Only each update's last 16 values are written, so the file is
     * sparse and the test fast.
     */
    @Test
    void storesPastTwoGigabytes() {
        int length = 300_000_000;
        try (UpdateStore store = new UpdateStore(length, 0, dir)) {
            for (int i = 0; i < 2; i++) {
                float[] tail = new float[16];
                for (int c = 0; c < 16; c++) {
                    tail[c] = i * 100 + c + 0.5f;
                }
                store.add(RobustTesting.result(i), v -> v.visit(length - 16, tail, 16));
            }
            assertEquals(2, store.spilled());
            float[] dst = new float[20];
            store.read(1, length - 20, dst, 20);
            assertArrayEquals(new float[] {0, 0, 0, 0, 100.5f, 101.5f, 102.5f, 103.5f, 104.5f, 105.5f, 106.5f, 107.5f,
                108.5f, 109.5f, 110.5f, 111.5f, 112.5f, 113.5f, 114.5f, 115.5f}, dst, 0f);
            store.read(0, length - 1, dst, 1);
            assertEquals(15.5f, dst[0], 0f);
            // the first value of update 1 sits at byte 1.2e9, in region 1; its last at byte 2.4e9 - 4, in region 2
            store.read(1, 0, dst, 1);
            assertEquals(0f, dst[0], 0f);
        }
    }

    /** Deterministic values of update i at coordinate c: a hash in [-1, 1). */
    private static float value(int i, int c) {
        long z = (i * 0x9E3779B97F4A7C15L) ^ (c * 0xBF58476D1CE4E5B9L);
        z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
        z ^= z >>> 29;
        return (float) ((z >>> 40) / (double) (1L << 23) - 1);
    }

    private static UpdateChunks generated(int i, int length) {
        return visitor -> {
            float[] scratch = new float[8192];
            for (int from = 0; from < length; from += scratch.length) {
                int n = Math.min(scratch.length, length - from);
                for (int c = 0; c < n; c++) {
                    scratch[c] = value(i, from + c);
                }
                visitor.visit(from, scratch, n);
            }
        };
    }

    /** 100 updates of the cnn's 206,922 parameters with a budget of 10: 90 spilled, the same median as all on the heap. */
    @Test
    void cnnSizedRoundSpillsNinetyAndAggregatesAsOnTheHeap() {
        int length = 206_922;
        int n = 100;
        float[] base = new float[length];
        for (int c = 0; c < length; c++) {
            base[c] = value(-1, c);
        }
        float[] spilledMedian;
        try (UpdateStore store = new UpdateStore(length, 10, dir)) {
            for (int i = 0; i < n; i++) {
                store.add(RobustTesting.result(i), generated(i, length));
            }
            assertEquals(10, store.inMemory());
            assertEquals(90, store.spilled());
            spilledMedian = new CoordinateMedian().aggregate(store, base);
        }
        float[] heapMedian;
        try (UpdateStore store = new UpdateStore(length, n, dir)) {
            for (int i = 0; i < n; i++) {
                store.add(RobustTesting.result(i), generated(i, length));
            }
            assertEquals(0, store.spilled());
            heapMedian = new CoordinateMedian().aggregate(store, base);
        }
        assertArrayEquals(heapMedian, spilledMedian);
        // and a few coordinates against the median by hand: the mean of the 50th and 51st of 100 sorted values
        for (int c : new int[] {0, 4095, 4096, 123_456, length - 1}) {
            float[] col = new float[n];
            for (int i = 0; i < n; i++) {
                col[i] = value(i, c);
            }
            java.util.Arrays.sort(col);
            assertEquals((float) (base[c] + ((double) col[49] + col[50]) / 2), spilledMedian[c], 0f, "coordinate " + c);
        }
    }
}
