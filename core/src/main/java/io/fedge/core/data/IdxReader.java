package io.fedge.core.data;

import java.io.DataInputStream;
import java.io.EOFException;
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
        if (total > Integer.MAX_VALUE - 16) {
            throw new IOException(file + ": too large (" + total + " elements)");
        }
        byte[] data = new byte[(int) total];
        try {
            in.readFully(data);
        } catch (EOFException e) {
            throw new IOException(file + ": truncated, header announces " + total + " elements", e);
        }
        return new IdxArray(dims, data);
    }
}
