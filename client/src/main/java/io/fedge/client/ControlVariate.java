package io.fedge.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private final StagedVector value;

    private ControlVariate(StagedVector value) {
        this.value = value;
    }

    /** A control variate kept in memory only. */
    static ControlVariate inMemory() {
        return new ControlVariate(StagedVector.inMemory("SCAFFOLD control variate"));
    }

    /** A control variate kept in {@code file}, read back if it exists; a file that does not check out starts from zero. */
    static ControlVariate persistent(Path file) {
        return new ControlVariate(StagedVector.persistent(file, MAGIC, "SCAFFOLD control variate"));
    }

    /**
     * {@code c_i} for a model of {@code parameters} (a copy): zeros before the first accepted
     * update, or when the one kept is of a model of another size.
     */
    float[] current(int parameters) {
        float[] v = value.committed();
        if (v == null || v.length != parameters) {
            if (v != null) {
                log.info("SCAFFOLD control variate of {} values does not fit a model of {} parameters; starting "
                        + "from zero", v.length, parameters);
            }
            return new float[parameters];
        }
        return v.clone();
    }

    /** Remembers {@code next}, the {@code c_i+} of upload {@code transferId}; replaces whatever was staged before. */
    void stage(long transferId, float[] next) {
        value.stage(transferId, next.clone());
    }

    /**
     * The coordinator accepted upload {@code transferId}: its {@code c_i+}, if staged, becomes {@code c_i}.
     *
     * @return whether a control variate was committed
     */
    boolean commit(long transferId) {
        return value.commit(transferId);
    }

    /** Upload {@code transferId} was refused: its staged control variate, if staged, is dropped. */
    void discard(long transferId) {
        value.discard(transferId);
    }

    /** The connection dropped: whatever is staged will never be accepted. */
    void discardStaged() {
        value.discardStaged();
    }

    /** The committed {@code c_i} (a copy), or null before the first commit. */
    float[] value() {
        float[] v = value.committed();
        return v == null ? null : v.clone();
    }
}
