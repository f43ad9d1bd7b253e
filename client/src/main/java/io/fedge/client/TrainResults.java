package io.fedge.client;

import com.google.protobuf.ByteString;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;

/** What plain and secure rounds share to send an update: sealing it to the round's key, and its announcement. */
final class TrainResults {
    private TrainResults() {
    }

    /** The sealing of update {@code transferId} to the task's aggregator key, or null when the round publishes none. */
    static UpdateSealer.Sealing sealing(TrainTask task, String clientId, long transferId) {
        return task.getUpdatePublicKey().isEmpty() ? null
                : UpdateSealer.seal(UpdateSealer.publicKey(task.getUpdatePublicKey().toByteArray()), task.getRound(),
                        clientId, transferId);
    }

    /** The announcement of {@code upload}, trained from model {@code modelVersion} for {@code task}. */
    static TrainResult.Builder resultFor(TrainTask task, long modelVersion, LocalUpdate update,
                                         OutgoingTransfer upload, UpdateSealer.Sealing sealing) {
        TrainResult.Builder result = TrainResult.newBuilder()
                .setRound(task.getRound())
                .setModelVersion(modelVersion)
                .setNumExamples(update.numExamples())
                .setLoss(update.meanLoss())
                .setDurationMs(update.durationMillis())
                .setUpdate(upload.header());
        if (update.contributors() > 1) {
            result.setContributors((int) Math.min(Integer.MAX_VALUE, update.contributors()));
        }
        if (sealing != null) {
            result.setEphemeralPublicKey(ByteString.copyFrom(sealing.ephemeralPublicKey()));
        }
        return result;
    }
}
