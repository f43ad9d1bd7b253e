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
 * from the model last received. A new task supersedes the download in progress.
 *
 * <p>Event loop only.
 */
final class ModelDownload {
    private static final int MAX_MODEL_CHUNKS = 1 << 16;

    private final PublicKey trustedModelKey;
    private final long maxModelBytes;
    /** The task whose model is being downloaded (TrainTask or EvaluateTask). */
    private Envelope pendingTask;
    private IncomingTransfer transfer;
    /** The transfer id of the last model refused; its chunks are dropped quietly. */
    private long refusedTransfer = -1;
    /** The encoded model last received on this connection, base for the next delta; null if none. */
    private byte[] cachedModel;
    private long cachedModelVersion = -1;

    /** A task whose model arrived whole. */
    record Downloaded(Envelope task, byte[] model) {
    }

    ModelDownload(PublicKey trustedModelKey, long maxModelBytes) {
        this.trustedModelKey = trustedModelKey;
        this.maxModelBytes = maxModelBytes;
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
        pendingTask = task;
        transfer = new IncomingTransfer(header, maxModelBytes, MAX_MODEL_CHUNKS);
    }

    /** Drops any download and the chunks of {@code task}'s model, which this client refuses. */
    void refuse(Envelope task) {
        reset();
        refusedTransfer = Tasks.model(task).getTransferId();
    }

    /** The task whose model is being downloaded, or null. */
    Envelope pendingTask() {
        return pendingTask;
    }

    /** Whether {@code chunk} belongs to a model this client refused, and is to be dropped quietly. */
    boolean isRefused(Chunk chunk) {
        return transfer == null && chunk.getTransferId() == refusedTransfer;
    }

    /**
     * Takes one chunk of the model being downloaded.
     *
     * @return the task and its payload as sent (whole model or delta) once the last chunk arrived, else null
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
        reset();
        return new Downloaded(task, payload);
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
        cachedModel = payload;
        cachedModelVersion = Tasks.modelVersion(task);
        return new Downloaded(task, payload);
    }

    /** Drops the download in progress (the connection closed). */
    void reset() {
        transfer = null;
        pendingTask = null;
    }
}
