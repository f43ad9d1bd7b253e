package io.fedge.client;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.signing.TaskSigner;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.security.PublicKey;

/**
 * What a client checks of a task before it downloads the task's model: the coordinator's
 * signature over the whole task when the client pins the coordinator's key, and instructions
 * training can follow (at least one epoch, batches of at least one example, a finite positive
 * learning rate, a secure-aggregation encoding that works).
 */
final class TaskChecks {
    private final String clientId;
    private final PublicKey trustedKey;

    /** @param trustedKey the pinned coordinator key, or null to accept unsigned tasks */
    TaskChecks(String clientId, PublicKey trustedKey) {
        this.clientId = clientId;
        this.trustedKey = trustedKey;
    }

    /**
     * @throws FedgeException with {@link ErrorCode#BAD_SIGNATURE} for an unsigned or altered task
     *     when a key is pinned, {@link ErrorCode#MALFORMED} for instructions training cannot follow
     */
    void check(Envelope task) {
        if (task.hasTrainTask()) {
            if (trustedKey != null) {
                TaskSigner.verify(task.getTrainTask(), clientId, trustedKey);
            }
            checkInstructions(task.getTrainTask());
        } else {
            if (trustedKey != null) {
                TaskSigner.verify(task.getEvaluateTask(), clientId, trustedKey);
            }
            if (task.getEvaluateTask().getBatchSize() < 1) {
                throw new FedgeException(ErrorCode.MALFORMED, "evaluation in batches of "
                        + task.getEvaluateTask().getBatchSize() + " examples");
            }
        }
    }

    private static void checkInstructions(TrainTask t) {
        if (t.getLocalEpochs() < 1 || t.getBatchSize() < 1) {
            throw new FedgeException(ErrorCode.MALFORMED, "training for " + t.getLocalEpochs() + " epochs in batches of "
                    + t.getBatchSize() + ": both must be at least 1");
        }
        if (!Double.isFinite(t.getLearningRate()) || t.getLearningRate() <= 0) {
            throw new FedgeException(ErrorCode.MALFORMED, "learning rate " + t.getLearningRate()
                    + ": must be finite and positive");
        }
        if (t.hasSecureAggregation()) {
            MaskedWords.of(t.getSecureAggregation());
        }
    }
}
