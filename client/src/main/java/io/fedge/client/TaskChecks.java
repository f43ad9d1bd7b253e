package io.fedge.client;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.LocalTraining;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.signing.TaskSigner;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.security.PublicKey;

/**
 * What a client checks of a task before it downloads the task's model: the coordinator's
 * signature over the whole task when the client pins the coordinator's key, and instructions
 * training can follow (at least one epoch, batches of at least one example, a finite positive
 * learning rate, a secure-aggregation encoding that works, local training within bounds: momentum
 * in [0, 0.999], FedProx's mu in [0, 1e4], a finite non-negative clip norm and noise, noise only
 * with clipping, and SCAFFOLD's control variate present exactly when SCAFFOLD is, of 4 bytes per
 * parameter).
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
        if (t.hasLocalTraining()) {
            checkLocalTraining(t.getLocalTraining());
        }
    }

    /**
     * Every field of the local training within what this client follows; the control variate's
     * size against the model's parameter count waits for the model ({@link #checkControlVariate}).
     */
    private static void checkLocalTraining(LocalTraining l) {
        // the value bounds are the record's own (io.fedge.core.LocalTraining), refused as MALFORMED in one line
        io.fedge.comm.LocalTrainingMessages.fromProto(l);
        if (l.getScaffold() != l.hasControlVariate()) {
            throw malformed(l.getScaffold() ? "SCAFFOLD without the server's control variate"
                    : "a control variate without SCAFFOLD");
        }
        if (l.hasControlVariate()) {
            TransferHeader h = l.getControlVariate();
            if (h.getElementCount() < 1 || h.getElementCount() > Integer.MAX_VALUE
                    || h.getTotalLength() != 4 * h.getElementCount()) {
                throw malformed("control variate of " + h.getTotalLength() + " bytes for " + h.getElementCount()
                        + " values: must be 4 bytes (fp32) per value");
            }
        }
    }

    /**
     * The control variate of a task declares one value per parameter of its model: {@code 4 * P}
     * bytes, checked once the model is decoded.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if it does not
     */
    static void checkControlVariate(TrainTask t, int parameters) {
        TransferHeader h = t.getLocalTraining().getControlVariate();
        if (h.getElementCount() != parameters || h.getTotalLength() != 4L * parameters) {
            throw malformed("control variate of " + h.getTotalLength() + " bytes, " + h.getElementCount()
                    + " values, for a model of " + parameters + " parameters: must be " + 4L * parameters + " bytes");
        }
    }

    private static FedgeException malformed(String why) {
        return new FedgeException(ErrorCode.MALFORMED, "local training: " + why);
    }
}
