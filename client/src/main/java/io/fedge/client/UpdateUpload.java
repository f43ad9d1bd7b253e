package io.fedge.client;

import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.UpdateAccepted;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.ChannelHandlerContext;

/**
 * The update upload of one connection: announces an encoded update with its TrainResult, holds it
 * until the coordinator admits it with UploadReady, then streams its chunks. At most one update
 * waits; a newer one replaces it. The error-feedback residual and SCAFFOLD control variate staged
 * with an update are committed when the coordinator answers UpdateAccepted for its transfer, and
 * discarded when it refuses the transfer or the connection drops.
 *
 * <p>Event loop only.
 */
final class UpdateUpload {
    private final FederatedClient client;
    /** An update announced and waiting for UploadReady. */
    private OutgoingTransfer pending;
    /** The transfer id of the update written last and not yet accepted or refused; 0 if none. */
    private long awaitingAcceptance;

    UpdateUpload(FederatedClient client) {
        this.client = client;
    }

    /** Announces {@code upload} with {@code result}; the chunks wait for UploadReady. */
    void announce(ChannelHandlerContext ctx, TrainResult result, OutgoingTransfer upload) {
        if (!ctx.channel().isActive()) {
            upload.release();
            return;
        }
        release();
        pending = upload;
        ctx.writeAndFlush(Envelope.newBuilder().setTrainResult(result).build());
    }

    /**
     * The coordinator admitted transfer {@code transferId}: its chunks are written now.
     *
     * @throws FedgeException with {@link ErrorCode#UNEXPECTED_MESSAGE} if no such update waits
     */
    void ready(ChannelHandlerContext ctx, long transferId) {
        if (pending == null || pending.header().getTransferId() != transferId) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "UploadReady for unknown transfer " + transferId);
        }
        OutgoingTransfer upload = pending;
        pending = null;
        awaitingAcceptance = transferId;
        upload.writeTo(ctx.channel()).addListener(f -> {
            if (f.isSuccess()) {
                client.onUpdateSent();
            }
        });
        ctx.flush();
        upload.release();
    }

    /** The coordinator folded the update of this transfer. */
    void accepted(UpdateAccepted accepted) {
        if (accepted.getTransferId() == 0 || accepted.getTransferId() != awaitingAcceptance) {
            return; // not the update this connection sent last: nothing to commit
        }
        awaitingAcceptance = 0;
        client.onUpdateAccepted(accepted.getTransferId());
    }

    /** The coordinator refused transfer {@code transferId}: the update and its staged residual are dropped. */
    void refused(long transferId) {
        if (transferId == 0) {
            return;
        }
        client.errorFeedback().discard(transferId);
        client.controlVariate().discard(transferId);
        client.keptBatchNorm().discard(transferId);
        if (awaitingAcceptance == transferId) {
            awaitingAcceptance = 0;
        }
        if (pending != null && transferId == pending.header().getTransferId()) {
            release();
        }
    }

    /** The connection dropped: nothing staged on it will be accepted. */
    void dropped() {
        release();
        awaitingAcceptance = 0;
        client.errorFeedback().discardStaged();
        client.controlVariate().discardStaged();
        client.keptBatchNorm().discardStaged();
    }

    /** Drops the waiting update, if any. */
    void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
