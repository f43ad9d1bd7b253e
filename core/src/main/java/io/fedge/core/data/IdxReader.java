package io.fedge.core.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.BufferedInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads unsigned-byte IDX files (the format of MNIST and Fashion-MNIST), gzipped or not.
 *
 * <p>The header is a magic number whose third byte is the element type (0x08, unsigned byte)
 * and whose fourth is the number of dimensions, followed by one big-endian int per dimension.
 */
public final class IdxReader {
    private static final int UNSIGNED_BYTE = 0x08;
    private static final int GZIP_MAGIC = 0x1f8b;
    /** The most elements one file may hold (a Java array's bound). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 16;
    private static final int INITIAL_BUFFER = 1 << 20;

    private IdxReader() {
    }

    /** An IDX array: its dimensions and its elements in row-major order. */
    public record IdxArray(int[] dims, byte[] data) {
    }

    /**
     * Reads an IDX file.
     *
     * @throws IOException if the file cannot be read, is not an unsigned-byte IDX file, or is shorter
     *     than its header says
     */
    public static IdxArray read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = ((b0 << 8) | b1) == GZIP_MAGIC ? new GZIPInputStream(raw, 1 << 16) : raw;
            return read(new DataInputStream(in), file);
        }
    }

    private static IdxArray read(DataInputStream in, Path file) throws IOException {
        int magic = in.readInt();
        int type = (magic >>> 8) & 0xFF;
        int ndim = magic & 0xFF;
        if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE || ndim < 1 || ndim > 4) {
            throw new IOException(file + ": not an unsigned-byte IDX file (magic 0x" + Integer.toHexString(magic) + ")");
        }
        int[] dims = new int[ndim];
        long total = 1;
        for (int i = 0; i < ndim; i++) {
            dims[i] = in.readInt();
            if (dims[i] < 0) {
                throw new IOException(file + ": negative dimension " + dims[i]);
            }
            total *= dims[i];
        }
        if (total > MAX_ELEMENTS) {
            throw new IOException(file + ": too large (" + total + " elements, at most " + MAX_ELEMENTS + ")");
        }
        return new IdxArray(dims, readAnnounced(in, (int) total, file));
    }

    /**
     * The {@code total} bytes the header announced. The buffer grows with the bytes that actually
     * arrive, so a header that lies about a huge size in a small (or gzipped) file costs no more
     * memory than the file holds before it is found truncated.
     */
    private static byte[] readAnnounced(InputStream in, int total, Path file) throws IOException {
        byte[] data = new byte[Math.min(total, INITIAL_BUFFER)];
        int filled = 0;
        while (filled < total) {
            if (filled == data.length) {
                data = java.util.Arrays.copyOf(data, (int) Math.min(total, 2L * data.length));
            }
            int n = in.read(data, filled, data.length - filled);
            if (n < 0) {
                throw new IOException(file + ": truncated, header announces " + total + " elements, the file holds "
                        + filled);
            }
            filled += n;
        }
        return data;
    }
}
