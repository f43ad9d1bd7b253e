package io.fedge.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A vector a client carries from round to round and changes only when the coordinator accepted
 * the upload that carried its next value: the error-feedback residual and SCAFFOLD's control
 * variate. The next value is staged with the upload's transfer id, committed on
 * {@code UpdateAccepted} for that id, and dropped when the upload is refused or the connection
 * goes; so the client's vector always matches what the coordinator folded. With a file it
 * survives a restart: written durably at every commit through {@link VectorFile} (SHA-256,
 * atomic rename), read back at start, and a file that does not check out is refused with the
 * reason in the log, the client starting again from none.
 *
 * <p>Thread-safe.
 */
final class StagedVector {
    private static final Logger log = LoggerFactory.getLogger(StagedVector.class);

    private final Path file;
    private final int magic;
    private final String what;
    private float[] value;
    private float[] pending;
    private long pendingTransfer;

    private StagedVector(Path file, int magic, String what, float[] value) {
        this.file = file;
        this.magic = magic;
        this.what = what;
        this.value = value;
    }

    /** A vector kept in memory only; {@code what} names it in logs. */
    static StagedVector inMemory(String what) {
        return new StagedVector(null, 0, what, null);
    }

    /** A vector kept in {@code file} with {@code magic}, read back if it exists. */
    static StagedVector persistent(Path file, int magic, String what) {
        float[] v = null;
        if (Files.exists(file)) {
            try {
                v = VectorFile.read(file, magic);
            } catch (IOException e) {
                log.warn("{} {} refused ({}); starting from none", what, file, e.getMessage());
            }
        }
        return new StagedVector(file, magic, what, v);
    }

    /** The committed vector itself (not a copy: callers copy what they hand out), or null. */
    synchronized float[] committed() {
        return value;
    }

    /** Remembers {@code next} (kept, not copied) as the value of upload {@code transferId}, replacing what was staged before. */
    synchronized void stage(long transferId, float[] next) {
        pending = next;
        pendingTransfer = transferId;
    }

    /**
     * The coordinator accepted upload {@code transferId}: its staged value, if any, becomes the
     * committed one (and is written to the file).
     *
     * @return whether a value was committed
     */
    synchronized boolean commit(long transferId) {
        if (pending == null || pendingTransfer != transferId) {
            return false;
        }
        value = pending;
        pending = null;
        if (file != null) {
            try {
                VectorFile.write(file, magic, value);
            } catch (IOException e) {
                log.warn("cannot write the {} to {}: {}", what, file, e.getMessage());
            }
        }
        return true;
    }

    /** Upload {@code transferId} was refused: its staged value, if staged, is dropped. */
    synchronized void discard(long transferId) {
        if (pending != null && pendingTransfer == transferId) {
            pending = null;
        }
    }

    /** The connection dropped: whatever is staged will never be accepted. */
    synchronized void discardStaged() {
        pending = null;
    }

    /** Forgets the committed and any staged value, and deletes the file. */
    synchronized void clear() {
        value = null;
        pending = null;
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot delete the {} {}: {}", what, file, e.getMessage());
            }
        }
    }
}
