package io.fedge.client;

import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TrainResult;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.ChannelHandlerContext;

/**
 * The update upload of one connection: announces an encoded update with its TrainResult, holds it
 * until the coordinator admits it with UploadReady, then streams its chunks. At most one update
 * waits; a newer one replaces it.
 *
 * <p>Event loop only.
 */
final class UpdateUpload {
    private final FederatedClient client;
    /** An update announced and waiting for UploadReady. */
    private OutgoingTransfer pending;

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
        upload.writeTo(ctx.channel()).addListener(f -> {
            if (f.isSuccess()) {
                client.onUpdateSent();
            }
        });
        ctx.flush();
        upload.release();
    }

    /** The coordinator refused transfer {@code transferId}: a waiting update of that id is dropped. */
    void refused(long transferId) {
        if (pending != null && transferId == pending.header().getTransferId()) {
            release();
        }
    }

    /** Drops the waiting update, if any. */
    void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
