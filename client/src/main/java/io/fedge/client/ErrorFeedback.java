package io.fedge.client;


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
    /** "FEF2": the residual followed by the SHA-256 of everything before it. */
    private static final int MAGIC = 0x4645_4632;

    private final StagedVector residual;

    private ErrorFeedback(StagedVector residual) {
        this.residual = residual;
    }

    /** A residual kept in memory only. */
    static ErrorFeedback inMemory() {
        return new ErrorFeedback(StagedVector.inMemory("error-feedback residual"));
    }

    /** A residual kept in {@code file}, read back if it exists; an unreadable file starts from zero. */
    static ErrorFeedback persistent(Path file) {
        return new ErrorFeedback(StagedVector.persistent(file, MAGIC, "error-feedback residual"));
    }

    /** {@code delta} plus the residual (a new array), or a copy of {@code delta} if the residual is empty or of another model. */
    float[] apply(float[] delta) {
        float[] out = delta.clone();
        float[] r = residual.committed();
        if (r != null && r.length == delta.length) {
            for (int i = 0; i < out.length; i++) {
                out[i] += r[i];
            }
        }
        return out;
    }

    /**
     * Remembers the residual of upload {@code transferId}, about to be sent: what was meant minus
     * what the coordinator will decode. It replaces any residual staged before and not accepted.
     */
    void stage(long transferId, float[] meant, float[] decoded) {
        float[] r = new float[meant.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = meant[i] - decoded[i];
        }
        residual.stage(transferId, r);
    }

    /**
     * The coordinator accepted upload {@code transferId}: if its residual is staged, it becomes
     * the one carried forward.
     *
     * @return whether a residual was committed
     */
    boolean commit(long transferId) {
        return residual.commit(transferId);
    }

    /** Upload {@code transferId} was refused: its staged residual, if staged, is dropped. */
    void discard(long transferId) {
        residual.discard(transferId);
    }

    /** The connection dropped: whatever is staged will never be accepted. */
    void discardStaged() {
        residual.discardStaged();
    }

    /** The residual carried forward now (a copy), or null if none. */
    float[] residual() {
        float[] r = residual.committed();
        return r == null ? null : r.clone();
    }
}
