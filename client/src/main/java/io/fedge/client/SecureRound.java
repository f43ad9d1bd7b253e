package io.fedge.client;

import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.ProtocolErrors;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.secagg.SecAggClient;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * This client's part in the secure-aggregation round of one connection: advertises its keys,
 * shares its secrets with its neighbours, masks the trained update once their shares are in, and
 * reveals what the unmask stage asks for. A step that fails ends its part in the round, and the
 * coordinator is told with the round's number.
 *
 * <p>Event loop only, but for the masking it hands to the training executor.
 */
final class SecureRound {
    private static final Logger log = LoggerFactory.getLogger(SecureRound.class);

    private final FederatedClient client;
    private final UpdateUpload upload;
    /** The secure-aggregation state of the current round, or null. */
    private SecAggClient secAgg;
    /** A trained update, waiting for the neighbours' shares before it can be masked. */
    private Trained trained;

    /**
     * A secure round's trained update.
     *
     * @param controlVariate SCAFFOLD's {@code c_i+}, staged with the masked upload; null without SCAFFOLD
     * @param batchNorm FedBN's trained BatchNorm values, staged with the masked upload; null without FedBN
     */
    record Trained(TrainTask task, long modelVersion, LocalUpdate update, float[] controlVariate, float[] batchNorm) {
    }

    SecureRound(FederatedClient client, UpdateUpload upload) {
        this.client = client;
        this.upload = upload;
    }

    /** A new task supersedes any earlier secure round; one that aggregates securely starts with this client's keys. */
    void begin(ChannelHandlerContext ctx, TrainTask task) {
        secAgg = null;
        trained = null;
        if (!task.hasSecureAggregation()) {
            return;
        }
        secAgg = new SecAggClient(client.clientId(), task.getRound(), MaskedWords.of(task.getSecureAggregation()),
                client.secureRandom(), client.secAggIdentity());
        ctx.writeAndFlush(Envelope.newBuilder().setSecaggKeys(secAgg.advertise()).build());
    }

    void roster(ChannelHandlerContext ctx, io.fedge.comm.proto.SecAggRoster roster) {
        step(ctx, roster.getRound(), s -> ctx.writeAndFlush(
                Envelope.newBuilder().setSecaggShares(s.share(roster)).build()));
    }

    void shares(ChannelHandlerContext ctx, SecAggShares shares) {
        step(ctx, shares.getRound(), s -> {
            s.receive(shares);
            if (trained != null && trained.task().getRound() == s.round()) {
                submitMasking(ctx, trained, s);
                trained = null;
            }
        });
    }

    void unmask(ChannelHandlerContext ctx, SecAggUnmask unmask) {
        step(ctx, unmask.getRound(), s -> ctx.writeAndFlush(unmask.getConsistencyCheck()
                ? Envelope.newBuilder().setSecaggListSignature(s.signLists(unmask)).build()
                : Envelope.newBuilder().setSecaggReveal(s.reveal(unmask)).build()));
    }

    /** The coordinator aborted round {@code round}. */
    void aborted(long round) {
        if (secAgg != null && secAgg.round() == round) {
            secAgg = null;
            trained = null;
        }
    }

    /**
     * Runs one step of the current secure round.
     *
     * @throws FedgeException with {@link ErrorCode#WRONG_ROUND} if no secure round {@code round} is in progress
     */
    private void step(ChannelHandlerContext ctx, long round, Consumer<SecAggClient> step) {
        SecAggClient s = secAgg;
        if (s == null || s.round() != round) {
            throw new FedgeException(ErrorCode.WRONG_ROUND, "no secure-aggregation state for round " + round);
        }
        try {
            step.accept(s);
        } catch (FedgeException e) {
            log.warn("client {}: leaving secure round {}: {}", client.clientId(), round, e.getMessage());
            secAgg = null;
            trained = null;
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, round, 0));
        }
    }

    /** On the event loop: a secure round's update is trained; it is masked once the shares are in. */
    void onTrained(ChannelHandlerContext ctx, Trained t) {
        SecAggClient s = secAgg;
        if (s == null || s.round() != t.task().getRound()) {
            return; // the round was abandoned or superseded
        }
        if (s.ready()) {
            submitMasking(ctx, t, s);
        } else {
            trained = t;
        }
    }

    /** Masks (and seals) the update on the training executor, then announces it on the event loop. */
    private void submitMasking(ChannelHandlerContext ctx, Trained t, SecAggClient s) {
        try {
            client.trainingExecutor().execute(() -> {
                try {
                    long transferId = client.nextTransferId();
                    UpdateSealer.Sealing sealing = TrainResults.sealing(t.task(), client.clientId(), transferId);
                    int perChunk = UpdateEncoder.maskedElementsPerChunk(s.words(), client.maxChunkBytes(),
                            client.updateChunkElements(), sealing != null);
                    float[] delta = t.update().delta();
                    OutgoingTransfer encoded = UpdateEncoder.ofChunks(transferId,
                            s.mask(delta, t.update().numExamples(), perChunk), perChunk, delta.length, sealing);
                    if (t.controlVariate() != null) {
                        client.controlVariate().stage(transferId, t.controlVariate());
                    }
                    if (t.batchNorm() != null) {
                        client.keptBatchNorm().stage(transferId, t.batchNorm());
                    }
                    TrainResult announced = TrainResults.resultFor(t.task(), t.modelVersion(), t.update(), encoded,
                                    sealing)
                            .setCodec(WireProtocol.MASKED_CODEC)
                            .putMetrics(WireProtocol.METRIC_SECAGG_CLIENT_MILLIS, s.busyNanos() / 1e6)
                            .build();
                    ctx.executor().execute(() -> upload.announce(ctx, announced, encoded));
                } catch (FedgeException e) {
                    TaskRefusal.send(ctx, client.clientId(), t.task().getRound(), 0, e);
                } catch (RuntimeException e) {
                    TaskRefusal.sendInternal(ctx, client.clientId(), t.task().getRound(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("client {} is shutting down; masked update dropped", client.clientId());
        }
    }
}
