package io.fedge.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Error feedback (Seide et al. 2014, Karimireddy et al. 2019): what a lossy codec could not send
 * of an update (the residual) is added to the client's next update, so over the rounds the sum of
 * what was sent follows the sum of the true updates and the residual stays bounded. The residual
 * is replaced only once the coordinator has accepted the upload (folded it into the round's
 * aggregate): the residual of an upload refused or lost on the way is discarded and the one
 * carried before stays. With a file, the residual survives a restart of the client: it is written atomically
 * after every accepted upload and read back when the client starts.
 *
 * <p>Thread-safe.
 */
final class ErrorFeedback {
    private static final Logger log = LoggerFactory.getLogger(ErrorFeedback.class);
    /** "FEF2": the residual followed by the SHA-256 of everything before it. */
    private static final int MAGIC = 0x4645_4632;

    private final Path file;
    private float[] residual;
    private float[] pending;
    private long pendingTransfer;

    private ErrorFeedback(Path file, float[] residual) {
        this.file = file;
        this.residual = residual;
    }

    /** A residual kept in memory only. */
    static ErrorFeedback inMemory() {
        return new ErrorFeedback(null, null);
    }

    /** A residual kept in {@code file}, read back if it exists; an unreadable file starts from zero. */
    static ErrorFeedback persistent(Path file) {
        float[] r = null;
        if (Files.exists(file)) {
            try {
                r = VectorFile.read(file, MAGIC);
            } catch (IOException e) {
                log.warn("error-feedback residual {} unusable ({}); starting from zero", file, e.getMessage());
            }
        }
        return new ErrorFeedback(file, r);
    }

    /** {@code delta} plus the residual (a new array), or a copy of {@code delta} if the residual is empty or of another model. */
    synchronized float[] apply(float[] delta) {
        float[] out = delta.clone();
        if (residual != null && residual.length == delta.length) {
            for (int i = 0; i < out.length; i++) {
                out[i] += residual[i];
            }
        }
        return out;
    }

    /**
     * Remembers the residual of upload {@code transferId}, about to be sent: what was meant minus
     * what the coordinator will decode. It replaces any residual staged before and not accepted.
     */
    synchronized void stage(long transferId, float[] meant, float[] decoded) {
        float[] r = new float[meant.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = meant[i] - decoded[i];
        }
        pending = r;
        pendingTransfer = transferId;
    }

    /**
     * The coordinator accepted upload {@code transferId}: if its residual is staged, it becomes
     * the one carried forward.
     *
     * @return whether a residual was committed
     */
    synchronized boolean commit(long transferId) {
        if (pending == null || pendingTransfer != transferId) {
            return false;
        }
        residual = pending;
        pending = null;
        if (file != null) {
            write(residual);
        }
        return true;
    }

    /** Upload {@code transferId} was refused: its staged residual, if staged, is dropped. */
    synchronized void discard(long transferId) {
        if (pending != null && pendingTransfer == transferId) {
            pending = null;
        }
    }

    /** The connection dropped: whatever is staged will never be accepted. */
    synchronized void discardStaged() {
        pending = null;
    }

    /** The residual carried forward now (a copy), or null if none. */
    synchronized float[] residual() {
        return residual == null ? null : residual.clone();
    }

    private void write(float[] r) {
        try {
            // beside the file, forced to disk, renamed over it, folder forced: a crash keeps one whole residual
            VectorFile.write(file, MAGIC, r);
        } catch (IOException e) {
            log.warn("cannot write the error-feedback residual to {}: {}", file, e.getMessage());
        }
    }
}
