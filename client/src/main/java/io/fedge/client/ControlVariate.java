package io.fedge.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * SCAFFOLD's client control variate {@code c_i} (Karimireddy et al. 2020), kept on the device
 * across rounds: zeros at first, then the {@code c_i+} of the last update the coordinator
 * accepted. Like the error-feedback residual it is staged with an upload and committed only on
 * {@code UpdateAccepted} for that transfer: the {@code c_i+} of an update refused or lost on the
 * way is dropped and the one before stays, so {@code c_i} always matches what the server folded
 * into its {@code c}. With a file it survives a restart, written durably at every commit with a
 * SHA-256; a file that does not check out is refused with the reason in the log and the client
 * starts again from zero.
 *
 * <p>Thread-safe.
 */
final class ControlVariate {
    private static final Logger log = LoggerFactory.getLogger(ControlVariate.class);
    /** "FCV1". */
    private static final int MAGIC = 0x4643_5631;

    private final Path file;
    private float[] value;
    private float[] pending;
    private long pendingTransfer;

    private ControlVariate(Path file, float[] value) {
        this.file = file;
        this.value = value;
    }

    /** A control variate kept in memory only. */
    static ControlVariate inMemory() {
        return new ControlVariate(null, null);
    }

    /** A control variate kept in {@code file}, read back if it exists; a file that does not check out starts from zero. */
    static ControlVariate persistent(Path file) {
        float[] v = null;
        if (Files.exists(file)) {
            try {
                v = VectorFile.read(file, MAGIC);
            } catch (IOException e) {
                log.warn("SCAFFOLD control variate {} refused ({}); starting from zero", file, e.getMessage());
            }
        }
        return new ControlVariate(file, v);
    }

    /**
     * {@code c_i} for a model of {@code parameters} (a copy): zeros before the first accepted
     * update, or when the one kept is of a model of another size.
     */
    synchronized float[] current(int parameters) {
        if (value == null || value.length != parameters) {
            if (value != null) {
                log.info("SCAFFOLD control variate of {} values does not fit a model of {} parameters; starting "
                        + "from zero", value.length, parameters);
            }
            return new float[parameters];
        }
        return value.clone();
    }

    /** Remembers {@code next}, the {@code c_i+} of upload {@code transferId}; replaces whatever was staged before. */
    synchronized void stage(long transferId, float[] next) {
        pending = next.clone();
        pendingTransfer = transferId;
    }

    /**
     * The coordinator accepted upload {@code transferId}: its {@code c_i+}, if staged, becomes {@code c_i}.
     *
     * @return whether a control variate was committed
     */
    synchronized boolean commit(long transferId) {
        if (pending == null || pendingTransfer != transferId) {
            return false;
        }
        value = pending;
        pending = null;
        if (file != null) {
            try {
                VectorFile.write(file, MAGIC, value);
            } catch (IOException e) {
                log.warn("cannot write the SCAFFOLD control variate to {}: {}", file, e.getMessage());
            }
        }
        return true;
    }

    /** Upload {@code transferId} was refused: its staged control variate, if staged, is dropped. */
    synchronized void discard(long transferId) {
        if (pending != null && pendingTransfer == transferId) {
            pending = null;
        }
    }

    /** The connection dropped: whatever is staged will never be accepted. */
    synchronized void discardStaged() {
        pending = null;
    }

    /** The committed {@code c_i} (a copy), or null before the first commit. */
    synchronized float[] value() {
        return value == null ? null : value.clone();
    }
}
