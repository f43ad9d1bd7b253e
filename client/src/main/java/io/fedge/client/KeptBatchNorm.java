package io.fedge.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * FedBN's BatchNorm parameters (Li et al. 2021), kept on the device across rounds: the gamma,
 * beta, running mean and variance of every BatchNorm layer of the model, as the last update the
 * coordinator accepted left them. Like SCAFFOLD's control variate they are staged with an upload
 * and committed only on {@code UpdateAccepted} for that transfer, and with a file they survive a
 * restart (written durably, SHA-256 checked). Before the first commit there are none, and the
 * client starts from the global model's. A training task that averages BatchNorm forgets them, so
 * that evaluation is never done with values from an earlier federation.
 *
 * <p>Thread-safe.
 */
final class KeptBatchNorm {
    private static final Logger log = LoggerFactory.getLogger(KeptBatchNorm.class);
    /** "FBN1". */
    private static final int MAGIC = 0x4642_4E31;

    private final StagedVector value;

    private KeptBatchNorm(StagedVector value) {
        this.value = value;
    }

    /** Kept in memory only. */
    static KeptBatchNorm inMemory() {
        return new KeptBatchNorm(StagedVector.inMemory("FedBN BatchNorm parameters"));
    }

    /** Kept in {@code file}, read back if it exists; a file that does not check out starts from none. */
    static KeptBatchNorm persistent(Path file) {
        return new KeptBatchNorm(StagedVector.persistent(file, MAGIC, "FedBN BatchNorm parameters"));
    }

    /**
     * The kept values for a model with {@code count} BatchNorm coordinates (a copy), or null when
     * none are kept or those kept are of a model with another count.
     */
    float[] current(int count) {
        float[] v = value.committed();
        if (v == null) {
            return null;
        }
        if (v.length != count) {
            log.info("kept BatchNorm parameters ({} values) do not fit a model with {}; starting from the global "
                    + "model's", v.length, count);
            return null;
        }
        return v.clone();
    }

    /** Remembers {@code next}, the trained BatchNorm values of upload {@code transferId}. */
    void stage(long transferId, float[] next) {
        value.stage(transferId, next.clone());
    }

    /** Upload {@code transferId} was accepted: its staged values, if any, become the kept ones. */
    boolean commit(long transferId) {
        return value.commit(transferId);
    }

    /** Upload {@code transferId} was refused: its staged values, if any, are dropped. */
    void discard(long transferId) {
        value.discard(transferId);
    }

    /** The connection dropped: whatever is staged will never be accepted. */
    void discardStaged() {
        value.discardStaged();
    }

    /** The federation averages BatchNorm: nothing is kept any more. */
    void clear() {
        value.clear();
    }

    /** The kept values (a copy), or null. */
    float[] value() {
        float[] v = value.committed();
        return v == null ? null : v.clone();
    }
}
