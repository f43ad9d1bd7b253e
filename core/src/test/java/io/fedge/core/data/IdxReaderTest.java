package io.fedge.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path dir;

    /** An IDX file written by hand: magic 0x0000_08_ndim, big-endian dimensions, the bytes. */
    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    private static byte[] unsignedByteIdx(int[] dims, byte[] data) {
        return idx(0x0000_0800 | dims.length, dims, data);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private static byte[] ramp(int n) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 37 + 200); // runs through values above 127 too
        }
        return data;
    }

    @Test
    void readsThreeDimensionalImages() throws IOException {
        byte[] data = ramp(2 * 3 * 4);
        IdxReader.IdxArray a = IdxReader.read(write("images", unsignedByteIdx(new int[] {2, 3, 4}, data)));
        assertArrayEquals(new int[] {2, 3, 4}, a.dims());
        assertArrayEquals(data, a.data());
    }

    @Test
    void readsOneDimensionalLabels() throws IOException {
        byte[] labels = {9, 0, 3, 3, (byte) 255};
        IdxReader.IdxArray a = IdxReader.read(write("labels", unsignedByteIdx(new int[] {5}, labels)));
        assertArrayEquals(new int[] {5}, a.dims());
        assertArrayEquals(labels, a.data());
    }

    @Test
    void readsGzippedFilesTheSame() throws IOException {
        byte[] data = ramp(3 * 5 * 5);
        byte[] plain = unsignedByteIdx(new int[] {3, 5, 5}, data);
        IdxReader.IdxArray a = IdxReader.read(write("images.gz", gzip(plain)));
        assertArrayEquals(new int[] {3, 5, 5}, a.dims());
        assertArrayEquals(data, a.data());
    }

    @Test
    void readsAnEmptyArray() throws IOException {
        IdxReader.IdxArray a = IdxReader.read(write("empty", unsignedByteIdx(new int[] {0, 28, 28}, new byte[0])));
        assertArrayEquals(new int[] {0, 28, 28}, a.dims());
        assertArrayEquals(new byte[0], a.data());
    }

    @Test
    void refusesDataShorterThanTheHeaderAnnounces() throws IOException {
        byte[] full = unsignedByteIdx(new int[] {2, 3, 4}, ramp(24));
        Path plain = write("short", Arrays.copyOf(full, full.length - 1));
        assertThrows(IOException.class, () -> IdxReader.read(plain));
        Path gz = write("short.gz", gzip(Arrays.copyOf(full, full.length - 1)));
        assertThrows(IOException.class, () -> IdxReader.read(gz));
    }

    @Test
    void refusesTruncatedHeaderAndEmptyFile() throws IOException {
        byte[] full = unsignedByteIdx(new int[] {2, 3, 4}, ramp(24));
        for (int length : new int[] {0, 1, 3, 4, 7, 15}) {
            Path file = write("cut" + length, Arrays.copyOf(full, length));
            assertThrows(IOException.class, () -> IdxReader.read(file), length + " bytes");
        }
    }

    @Test
    void refusesACutGzipStream() throws IOException {
        byte[] gz = gzip(unsignedByteIdx(new int[] {4, 4}, ramp(16)));
        Path file = write("cut.gz", Arrays.copyOf(gz, gz.length - 10));
        assertThrows(IOException.class, () -> IdxReader.read(file));
    }

    @Test
    void refusesWrongMagic() throws IOException {
        byte[] data = ramp(6);
        int[] dims = {2, 3};
        // signed byte (0x09), int (0x0C), float (0x0D) element types
        for (int type : new int[] {0x09, 0x0C, 0x0D}) {
            Path file = write("type" + type, idx((type << 8) | 2, dims, data));
            assertThrows(IOException.class, () -> IdxReader.read(file), "type " + type);
        }
        Path highBytes = write("high", idx(0x0100_0802, dims, data));
        assertThrows(IOException.class, () -> IdxReader.read(highBytes));
        Path zeroDims = write("zero", idx(0x0000_0800, new int[0], data));
        assertThrows(IOException.class, () -> IdxReader.read(zeroDims));
        Path fiveDims = write("five", idx(0x0000_0805, new int[] {1, 1, 1, 2, 3}, data));
        assertThrows(IOException.class, () -> IdxReader.read(fiveDims));
    }

    @Test
    void refusesNegativeAndOverflowingDimensions() throws IOException {
        Path negative = write("negative", unsignedByteIdx(new int[] {2, -3}, ramp(6)));
        assertThrows(IOException.class, () -> IdxReader.read(negative));
        // 65536^2 elements do not fit in one array; refused before allocating.
        Path huge = write("huge", unsignedByteIdx(new int[] {65536, 65536}, new byte[0]));
        assertThrows(IOException.class, () -> IdxReader.read(huge));
    }

    @Test
    void aHugeDeclaredSizeInASmallFileIsRefusedAsTruncatedWithoutAllocatingIt() throws IOException {
        // 46,340^2 = 2,147,395,600 elements: under the array bound, but the file holds 10 of them. The
        // reader grows its buffer with the bytes that arrive, so this costs 1 MiB, not 2 GiB.
        byte[] lie = unsignedByteIdx(new int[] {46_340, 46_340}, ramp(10));
        for (Path file : new Path[] {write("lie", lie), write("lie.gz", gzip(lie))}) {
            IOException e = assertThrows(IOException.class, () -> IdxReader.read(file));
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("holds 10"), e.getMessage());
        }
    }

    @Test
    void refusesMissingFile() {
        assertThrows(IOException.class, () -> IdxReader.read(dir.resolve("absent")));
    }
}
