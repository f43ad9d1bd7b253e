package io.fedge.client;

import io.fedge.comm.IncomingTransfer;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.compression.ModelDelta;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.security.PublicKey;

/**
 * The model download of one connection: checks a task's model signature before any chunk is
 * accepted, verifies the chunks (sequence, length, digest), and rebuilds a model sent as a delta
 * from the model last received. A SCAFFOLD task's control variate follows the model as a transfer
 * of its own, verified the same way (its header is covered by the task's signature); the task is
 * complete when both are. A new task supersedes the download in progress.
 *
 * <p>Event loop only.
 */
final class ModelDownload {
    private static final int MAX_MODEL_CHUNKS = 1 << 16;

    private final PublicKey trustedModelKey;
    private final long maxModelBytes;
    /** The task whose model is being downloaded (TrainTask or EvaluateTask). */
    private Envelope pendingTask;
    /** The transfer being received: the model's, then the control variate's if the task has one. */
    private IncomingTransfer transfer;
    /** The control variate's transfer, waiting for the model's to finish; null if none. */
    private IncomingTransfer controlTransfer;
    /** The model's payload once received, while the control variate's chunks arrive. */
    private byte[] modelPayload;
    /** The transfer ids of the last model refused and its control variate; their chunks are dropped quietly. */
    private long refusedTransfer = -1;
    private long refusedControlTransfer = -1;
    /** The encoded model last received on this connection, base for the next delta; null if none. */
    private byte[] cachedModel;
    private long cachedModelVersion = -1;
    /** Whether the coordinator said it may send deltas (Welcome.model_deltas). */
    private boolean keepForDeltas;
    /** The process's one copy per model (simulations), or null. */
    private final SharedModels shared;

    /**
     * A task whose model (and control variate) arrived whole.
     *
     * @param controlVariate the control variate's payload (little-endian fp32), or null if the task has none
     */
    record Downloaded(Envelope task, byte[] model, byte[] controlVariate) {
    }

    ModelDownload(PublicKey trustedModelKey, long maxModelBytes, SharedModels shared) {
        this.trustedModelKey = trustedModelKey;
        this.maxModelBytes = maxModelBytes;
        this.shared = shared;
    }

    /**
     * Starts downloading the model of {@code task}, dropping any earlier download.
     *
     * @throws FedgeException with {@link ErrorCode#BAD_SIGNATURE} if a key is pinned and the model's
     *     signature fails, or if the announced transfer is over the limits; the caller then {@link #refuse}s it
     */
    void begin(Envelope task) {
        TransferHeader header = Tasks.model(task);
        reset();
        if (trustedModelKey != null) {
            // Before a byte of the model is accepted: the chunks are then checked against the signed digest.
            ModelSigner.verify(header, trustedModelKey);
        }
        TransferHeader control = Tasks.controlVariate(task);
        IncomingTransfer model = new IncomingTransfer(header, maxModelBytes, MAX_MODEL_CHUNKS);
        // checked against the limits now, before a chunk of the model is accepted
        controlTransfer = control == null ? null : new IncomingTransfer(control, maxModelBytes, MAX_MODEL_CHUNKS);
        transfer = model;
        pendingTask = task;
    }

    /** Drops any download and the chunks of {@code task}'s model, which this client refuses. */
    void refuse(Envelope task) {
        reset();
        refusedTransfer = Tasks.model(task).getTransferId();
        TransferHeader control = Tasks.controlVariate(task);
        refusedControlTransfer = control == null ? -1 : control.getTransferId();
    }

    /** The task whose model is being downloaded, or null. */
    Envelope pendingTask() {
        return pendingTask;
    }

    /** Whether {@code chunk} belongs to a model this client refused, and is to be dropped quietly. */
    boolean isRefused(Chunk chunk) {
        return transfer == null && (chunk.getTransferId() == refusedTransfer
                || chunk.getTransferId() == refusedControlTransfer);
    }

    /**
     * Takes one chunk of the model being downloaded.
     *
     * @return the task and its payload as sent (whole model or delta) once the last chunk of the
     *     model, and of its control variate if it has one, arrived, else null
     * @throws FedgeException if no download is in progress or the chunk does not fit the transfer;
     *     the download is dropped
     */
    Downloaded accept(Chunk chunk) {
        if (transfer == null) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "chunk of transfer " + chunk.getTransferId()
                    + " without a task");
        }
        Envelope task = pendingTask;
        boolean complete;
        try {
            complete = transfer.accept(chunk);
        } catch (FedgeException e) {
            reset();
            throw e;
        }
        if (!complete) {
            return null;
        }
        byte[] payload = transfer.payload();
        if (modelPayload == null && controlTransfer != null) {
            modelPayload = payload;
            transfer = controlTransfer;
            return null;
        }
        Downloaded done = modelPayload == null ? new Downloaded(task, payload, null)
                : new Downloaded(task, modelPayload, payload);
        reset();
        return done;
    }

    /**
     * The whole model of a completed download: the payload itself, or the delta applied to the
     * model last received; remembered as the base of the next delta.
     *
     * @throws FedgeException with {@link ErrorCode#STALE_MODEL} if the delta's base is not the
     *     model this client holds, or the delta's own code if it does not apply
     */
    Downloaded rebuild(Downloaded sent) {
        Envelope task = sent.task();
        byte[] payload = sent.model();
        if (Tasks.modelIsDelta(task)) {
            long base = Tasks.modelDeltaBase(task);
            try {
                if (cachedModel == null || cachedModelVersion != base) {
                    throw new FedgeException(ErrorCode.STALE_MODEL, "model delta against version " + base
                            + ", this client holds " + (cachedModel == null ? "none" : "version " + cachedModelVersion));
                }
                payload = ModelDelta.apply(cachedModel, payload);
            } catch (FedgeException e) {
                cachedModel = null;
                throw e;
            }
        }
        if (shared != null) {
            payload = shared.canonical(payload);
        }
        if (keepForDeltas) { // else a whole model per client would be held for nothing (a swarm: gigabytes)
            cachedModel = payload;
            cachedModelVersion = Tasks.modelVersion(task);
        }
        return new Downloaded(task, payload, sent.controlVariate());
    }

    /** Whether to keep the last model as the base of deltas: what the coordinator's Welcome says. */
    void keepForDeltas(boolean keep) {
        keepForDeltas = keep;
        if (!keep) {
            cachedModel = null;
            cachedModelVersion = -1;
        }
    }

    /** Drops the download in progress (the connection closed). */
    void reset() {
        transfer = null;
        controlTransfer = null;
        modelPayload = null;
        pendingTask = null;
    }
}
