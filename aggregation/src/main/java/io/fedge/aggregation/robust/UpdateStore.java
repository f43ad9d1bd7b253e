package io.fedge.aggregation.robust;

import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Every update of a round, each with its {@link FitResult}, within a memory budget: the first
 * {@code budget} updates live on the heap as {@code float[]}, the rest are written to one
 * memory-mapped spill file, so the heap holds {@code budget × length} floats however many clients
 * report and the spilled ones cost page cache, not heap.
 *
 * <p><b>Spill file.</b> Created on the first spilled update with
 * {@code Files.createTempFile(dir, "fedge-spill", ".f32")} (owner-only permissions where the file
 * system has them), marked {@code deleteOnExit} (the JVM keeps its name, a few hundred bytes, until
 * it exits; a store that never spills creates no file) and deleted by {@link #close}. A process
 * killed outright leaves it behind. It holds the spilled
 * updates back to back with no header: spilled update {@code k} (the store's update
 * {@code inMemory() + k}) is {@code length} raw IEEE 754 floats, little-endian, at byte
 * {@code 4 · k · length}. So a value reads back with exactly the bits it was written with (NaN
 * payloads and signed zeros included), as from the heap. The file is mapped READ_WRITE in regions
 * of at most 1 GiB (region {@code r} covers bytes {@code [r · 2^30, (r + 1) · 2^30)}; a float
 * never straddles two), so stores past 2 GiB work; the last region's mapping grows by doubling
 * as updates are added (the file grows with it, sparse where the file system allows). A
 * mapping that is replaced or closed is unmapped at once where the JDK allows it
 * ({@code sun.misc.Unsafe.invokeCleaner}, as Lucene does), else when it is collected.
 *
 * <p>Coordinates no chunk of an update covers are zero (a delta of zero). An update whose chunks
 * are refused is not stored. Not thread-safe.
 */
public final class UpdateStore implements Updates, AutoCloseable {
    /** The largest mapping of the spill file. */
    static final long REGION_BYTES = 1L << 30;
    /** The smallest mapping of a region: growth starts here (or at one update if larger). */
    private static final long FIRST_MAPPING_BYTES = 1L << 20;
    private static final MethodHandle UNMAP = unmapper();

    private final int length;
    private final int budget;
    private final Path spillDirectory;
    private final long regionBytes;
    private final List<float[]> heap = new ArrayList<>();
    private final List<FitResult> results = new ArrayList<>();
    private final List<MappedByteBuffer> mappings = new ArrayList<>();
    private final List<FloatBuffer> regions = new ArrayList<>();
    private Path file;
    private FileChannel channel;
    private int inMemory;
    private int spilled;
    private boolean closed;

    /** A store spilling into {@code java.io.tmpdir}. */
    public UpdateStore(int length, int budget) {
        this(length, budget, defaultSpillDirectory());
    }

    /**
     * @param length the length of every update
     * @param budget how many updates are kept on the heap (0: spill all)
     * @param spillDirectory where the spill file is created
     */
    public UpdateStore(int length, int budget, Path spillDirectory) {
        this(length, budget, spillDirectory, REGION_BYTES);
    }

    /** With regions of {@code regionBytes} (a positive multiple of 4, at most 1 GiB): tests cross region boundaries with small ones. */
    UpdateStore(int length, int budget, Path spillDirectory, long regionBytes) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be non-negative: " + length);
        }
        if (budget < 0) {
            throw new IllegalArgumentException("budget must be non-negative: " + budget);
        }
        if (regionBytes <= 0 || regionBytes % Float.BYTES != 0 || regionBytes > REGION_BYTES) {
            throw new IllegalArgumentException("regionBytes must be a positive multiple of 4 up to 2^30: " + regionBytes);
        }
        this.length = length;
        this.budget = budget;
        this.spillDirectory = Objects.requireNonNull(spillDirectory, "spillDirectory");
        this.regionBytes = regionBytes;
    }

    /** {@code java.io.tmpdir}. */
    public static Path defaultSpillDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Copies one update, replayed as chunks whose buffers are not kept.
     *
     * @throws IllegalArgumentException if a chunk lies outside {@code [0, length())}; the update is then not stored
     * @throws UncheckedIOException if the spill file cannot be created or grown
     */
    public void add(FitResult result, UpdateChunks delta) {
        ensureOpen();
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(delta, "delta");
        if (inMemory < budget) {
            float[] update = new float[length];
            delta.forEach((offset, values, n) -> {
                checkChunk(offset, values, n);
                System.arraycopy(values, 0, update, offset, n);
            });
            heap.add(update);
            inMemory++;
        } else {
            long first = (long) spilled * length;
            reserve((first + length) * Float.BYTES);
            try {
                delta.forEach((offset, values, n) -> {
                    checkChunk(offset, values, n);
                    write(first + offset, values, n);
                });
            } catch (RuntimeException | Error e) {
                // The next update takes this slot and must find it zero, as fresh file space is.
                zero(first);
                throw e;
            }
            spilled++;
        }
        results.add(result);
    }

    private void checkChunk(int offset, float[] values, int n) {
        if (offset < 0 || n < 0 || (long) offset + n > length) {
            throw new IllegalArgumentException("chunk [" + offset + ", " + ((long) offset + n)
                    + ") lies outside the update's [0, " + length + ")");
        }
        Objects.checkFromIndexSize(0, n, values.length);
    }

    @Override
    public int size() {
        return inMemory + spilled;
    }

    @Override
    public int length() {
        return length;
    }

    /** How many updates are kept on the heap at most. */
    public int budget() {
        return budget;
    }

    /** How many updates are on the heap: {@code min(size(), budget())}. */
    public int inMemory() {
        return inMemory;
    }

    /** How many updates are in the spill file. */
    public int spilled() {
        return spilled;
    }

    /** The spill file, once an update was spilled and until {@link #close}. */
    public Optional<Path> spillFile() {
        return closed ? Optional.empty() : Optional.ofNullable(file);
    }

    /** What the client of update {@code i} (in the order added) reported with it. */
    @Override
    public double weight(int i) {
        return result(i).numExamples();
    }

    public FitResult result(int i) {
        return results.get(i);
    }

    @Override
    public void read(int i, int offset, float[] dst, int dstOffset, int n) {
        ensureOpen();
        Objects.checkIndex(i, size());
        Objects.checkFromIndexSize(offset, n, length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        if (i < inMemory) {
            System.arraycopy(heap.get(i), offset, dst, dstOffset, n);
            return;
        }
        long at = (long) (i - inMemory) * length + offset;
        while (n > 0) {
            long b = at * Float.BYTES;
            int r = (int) (b / regionBytes);
            long within = b % regionBytes;
            int take = (int) Math.min(n, (regionBytes - within) / Float.BYTES);
            regions.get(r).get((int) (within / Float.BYTES), dst, dstOffset, take);
            at += take;
            dstOffset += take;
            n -= take;
        }
    }

    /** Writes {@code values[0, n)} at float {@code at} of the spill file, whose regions are already mapped. */
    private void write(long at, float[] values, int n) {
        int from = 0;
        while (n > 0) {
            long b = at * Float.BYTES;
            int r = (int) (b / regionBytes);
            long within = b % regionBytes;
            int take = (int) Math.min(n, (regionBytes - within) / Float.BYTES);
            regions.get(r).put((int) (within / Float.BYTES), values, from, take);
            at += take;
            from += take;
            n -= take;
        }
    }

    private void zero(long first) {
        float[] zeros = new float[Math.min(length, 4096)];
        for (int done = 0; done < length; done += zeros.length) {
            write(first + done, zeros, Math.min(zeros.length, length - done));
        }
    }

    /** Maps (or remaps larger) every region up to byte {@code end} of the spill file. */
    private void reserve(long end) {
        if (end == 0) {
            return;
        }
        try {
            if (file == null) {
                file = Files.createTempFile(spillDirectory, "fedge-spill", ".f32");
                file.toFile().deleteOnExit();
                channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            int last = (int) ((end - 1) / regionBytes);
            for (int r = 0; r <= last; r++) {
                long wanted = r < last ? regionBytes : end - r * regionBytes;
                long have = r < mappings.size() ? mappings.get(r).capacity() : 0;
                if (have >= wanted) {
                    continue;
                }
                long size = Math.min(regionBytes, Math.max(wanted, Math.max(2 * have, FIRST_MAPPING_BYTES)));
                MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, r * regionBytes, size);
                FloatBuffer floats = mapping.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                if (r < mappings.size()) {
                    MappedByteBuffer old = mappings.set(r, mapping);
                    regions.set(r, floats);
                    unmap(old);
                } else {
                    mappings.add(mapping);
                    regions.add(floats);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spill update " + size() + " to " + (file == null ? spillDirectory : file), e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("update store is closed");
        }
    }

    /**
     * Drops the updates, unmaps and deletes the spill file. Idempotent; reads and adds afterwards
     * throw {@link IllegalStateException}.
     *
     * @throws UncheckedIOException if the spill file could not be closed or deleted (after trying both)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heap.clear();
        List<MappedByteBuffer> unmapping = new ArrayList<>(mappings);
        mappings.clear();
        regions.clear();
        IOException failure = null;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        unmapping.forEach(UpdateStore::unmap);
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw new UncheckedIOException("cannot remove spill file " + file, failure);
        }
    }

    @Override
    public String toString() {
        return "UpdateStore[" + size() + " updates of " + length + ", " + inMemory + " in memory, " + spilled
                + " spilled" + (file == null ? "" : " to " + file) + (closed ? ", closed" : "") + "]";
    }

    private static void unmap(MappedByteBuffer mapping) {
        if (UNMAP == null) {
            return;
        }
        try {
            UNMAP.invokeExact((ByteBuffer) mapping);
        } catch (Error e) {
            throw e;
        } catch (Throwable e) {
            // Left to the garbage collector, as without the unmapper.
        }
    }

    /** {@code Unsafe.invokeCleaner} bound to the instance, or null where the JDK does not offer it. */
    private static MethodHandle unmapper() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(field.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
