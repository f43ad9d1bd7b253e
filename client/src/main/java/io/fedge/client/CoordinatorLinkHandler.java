package io.fedge.client;

import com.google.protobuf.ByteString;
import io.fedge.comm.crypto.UpdateSealer;

import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.secagg.SecAggClient;
import io.fedge.comm.signing.ModelSigner;

import io.fedge.comm.IncomingTransfer;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.ProtocolErrors;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.compression.UpdateCodec;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The client's end of one connection: says Hello, keeps the connection alive with heartbeats,
 * receives and verifies model downloads, hands training and evaluation to the training
 * executor, and uploads the update once the coordinator admits it.
 *
 * <p>One instance per connection, on its event loop; a new connection gets a new handler, so
 * work finished for a dropped connection is discarded and the round retried on the next task.
 */
final class CoordinatorLinkHandler extends SimpleChannelInboundHandler<Envelope> {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorLinkHandler.class);
    private static final int MAX_MODEL_CHUNKS = 1 << 16;

    private final FederatedClient client;
    private boolean registered;
    /** The task whose model is being downloaded (TrainTask or EvaluateTask). */
    private Envelope pendingTask;
    private IncomingTransfer modelDownload;
    /** The transfer id of the last model refused for its signature; its chunks are dropped quietly. */
    private long refusedModelTransfer = -1;
    /** The encoded model last received on this connection, base for the next delta; null if none. */
    private byte[] cachedModel;
    private long cachedModelVersion = -1;
    /** An update announced and waiting for UploadReady. */
    private OutgoingTransfer pendingUpload;
    /** The secure-aggregation state of the current round, or null. */
    private SecAggClient secAgg;
    /** A secure round's trained update, waiting for the neighbours' shares before it can be masked. */
    private Trained trained;

    private record Trained(TrainTask task, long modelVersion, LocalUpdate update) {
    }

    CoordinatorLinkHandler(FederatedClient client) {
        this.client = client;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Envelope.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(WireProtocol.VERSION)
                .setClientId(client.clientId())
                .addAllCodecs(client.codecs().names())
                .addFeatures(WireProtocol.FEATURE_SECURE_AGGREGATION)
                .setNumExamples(client.trainer().numExamples())).build());
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
        try {
            switch (msg.getBodyCase()) {
                case WELCOME -> onWelcome(ctx, msg);
                case HEARTBEAT -> { }
                case TRAIN_TASK -> {
                    startDownload(ctx, msg, msg.getTrainTask().getRound(), msg.getTrainTask().getModel());
                    if (pendingTask == msg) {
                        beginSecureAggregation(ctx, msg.getTrainTask());
                    }
                }
                case SECAGG_ROSTER -> secureStep(ctx, msg.getSecaggRoster().getRound(), s -> ctx.writeAndFlush(
                        Envelope.newBuilder().setSecaggShares(s.share(msg.getSecaggRoster())).build()));
                case SECAGG_SHARES -> secureStep(ctx, msg.getSecaggShares().getRound(), s -> {
                    s.receive(msg.getSecaggShares());
                    if (trained != null && trained.task().getRound() == s.round()) {
                        submitMasking(ctx, trained, s);
                        trained = null;
                    }
                });
                case SECAGG_UNMASK -> secureStep(ctx, msg.getSecaggUnmask().getRound(), s -> ctx.writeAndFlush(
                        msg.getSecaggUnmask().getConsistencyCheck()
                                ? Envelope.newBuilder().setSecaggListSignature(s.signLists(msg.getSecaggUnmask())).build()
                                : Envelope.newBuilder().setSecaggReveal(s.reveal(msg.getSecaggUnmask())).build()));
                case EVALUATE_TASK -> startDownload(ctx, msg, msg.getEvaluateTask().getRound(),
                        msg.getEvaluateTask().getModel());
                case CHUNK -> onChunk(ctx, msg.getChunk());
                case UPLOAD_READY -> onUploadReady(ctx, msg.getUploadReady().getTransferId());
                case ERROR -> onError(msg.getError());
                case BYE -> {
                    log.info("client {}: coordinator said goodbye: {}", client.clientId(), msg.getBye().getReason());
                    client.onBye();
                    ctx.close();
                }
                case BODY_NOT_SET -> throw new FedgeException(ErrorCode.UNKNOWN_MESSAGE,
                        "envelope carries no message this client knows");
                default -> throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE,
                        msg.getBodyCase() + " is sent by clients, not to them");
            }
        } catch (FedgeException e) {
            log.info("client {} refused {}: {}", client.clientId(), msg.getBodyCase(), e.getMessage());
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e));
        }
    }

    private void onWelcome(ChannelHandlerContext ctx, Envelope msg) {
        if (msg.getWelcome().getProtocolVersion() != WireProtocol.VERSION) {
            throw new FedgeException(ErrorCode.UNSUPPORTED_PROTOCOL, "coordinator speaks protocol "
                    + msg.getWelcome().getProtocolVersion());
        }
        registered = true;
        long heartbeat = Math.max(100, msg.getWelcome().getHeartbeatIntervalMs());
        client.setMaxChunkBytes(msg.getWelcome().getMaxChunkBytes());
        client.setUpdateChunkElements(msg.getWelcome().getUpdateChunkElements());
        ctx.pipeline().addBefore(ctx.name(), "idle",
                new IdleStateHandler(heartbeat * 4, heartbeat, 0, TimeUnit.MILLISECONDS));
        client.onRegistered();
    }

    private void startDownload(ChannelHandlerContext ctx, Envelope task, long round, TransferHeader header) {
        if (!registered) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "task before Welcome");
        }
        if (client.trustedModelKey() != null) {
            // Before a byte of the model is accepted: the chunks are then checked against the signed digest.
            try {
                ModelSigner.verify(header, client.trustedModelKey());
            } catch (FedgeException e) {
                log.warn("client {}: refusing the task of round {}: {}", client.clientId(), round, e.getMessage());
                pendingTask = null;
                modelDownload = null;
                refusedModelTransfer = header.getTransferId();
                ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, round, header.getTransferId()));
                return;
            }
        }
        // A new task supersedes whatever was pending: the coordinator has moved on.
        pendingTask = task;
        modelDownload = new IncomingTransfer(header, client.maxModelBytes(), MAX_MODEL_CHUNKS);
    }

    /** A new task supersedes any earlier secure round; one that aggregates securely starts with this client's keys. */
    private void beginSecureAggregation(ChannelHandlerContext ctx, TrainTask task) {
        secAgg = null;
        trained = null;
        if (!task.hasSecureAggregation()) {
            return;
        }
        secAgg = new SecAggClient(client.clientId(), task.getRound(), MaskedWords.of(task.getSecureAggregation()),
                client.secureRandom(), client.secAggIdentity());
        ctx.writeAndFlush(Envelope.newBuilder().setSecaggKeys(secAgg.advertise()).build());
    }

    /**
     * Runs one step of the current secure round. A step that fails ends this client's part in the
     * round, and the coordinator is told with the round's number so it does not wait for it.
     */
    private void secureStep(ChannelHandlerContext ctx, long round, java.util.function.Consumer<SecAggClient> step) {
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
    private void onTrainedSecure(ChannelHandlerContext ctx, Trained t) {
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
                    UpdateSealer.Sealing sealing = sealing(t.task(), transferId);
                    int perChunk = UpdateEncoder.maskedElementsPerChunk(s.words(), client.maxChunkBytes(),
                            client.updateChunkElements(), sealing != null);
                    float[] delta = t.update().delta();
                    OutgoingTransfer upload = UpdateEncoder.ofChunks(transferId,
                            s.mask(delta, t.update().numExamples(), perChunk), perChunk, delta.length, sealing);
                    TrainResult.Builder result = resultFor(t.task(), t.modelVersion(), t.update(), upload, sealing)
                            .setCodec(WireProtocol.MASKED_CODEC)
                            .putMetrics(WireProtocol.METRIC_SECAGG_CLIENT_MILLIS, s.busyNanos() / 1e6);
                    TrainResult announced = result.build();
                    ctx.executor().execute(() -> announce(ctx, announced, upload));
                } catch (FedgeException e) {
                    log.warn("client {}: cannot mask the update of round {}: {}", client.clientId(), t.task().getRound(),
                            e.getMessage());
                    ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, t.task().getRound(), 0));
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("client {} is shutting down; masked update dropped", client.clientId());
        }
    }

    private UpdateSealer.Sealing sealing(TrainTask task, long transferId) {
        return task.getUpdatePublicKey().isEmpty() ? null
                : UpdateSealer.seal(UpdateSealer.publicKey(task.getUpdatePublicKey().toByteArray()), task.getRound(),
                        client.clientId(), transferId);
    }

    private static TrainResult.Builder resultFor(TrainTask task, long modelVersion, LocalUpdate update,
                                                 OutgoingTransfer upload, UpdateSealer.Sealing sealing) {
        TrainResult.Builder result = TrainResult.newBuilder()
                .setRound(task.getRound())
                .setModelVersion(modelVersion)
                .setNumExamples(update.numExamples())
                .setLoss(update.meanLoss())
                .setDurationMs(update.durationMillis())
                .setUpdate(upload.header());
        if (sealing != null) {
            result.setEphemeralPublicKey(ByteString.copyFrom(sealing.ephemeralPublicKey()));
        }
        return result;
    }

    private void onChunk(ChannelHandlerContext ctx, Chunk chunk) {
        if (modelDownload == null && chunk.getTransferId() == refusedModelTransfer) {
            return; // the rest of a model this client refused
        }
        if (modelDownload == null) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "chunk of transfer " + chunk.getTransferId()
                    + " without a task");
        }
        boolean complete;
        try {
            complete = modelDownload.accept(chunk);
        } catch (FedgeException e) {
            modelDownload = null;
            pendingTask = null;
            throw e;
        }
        if (!complete) {
            return;
        }
        Envelope task = pendingTask;
        byte[] payload = modelDownload.payload();
        modelDownload = null;
        pendingTask = null;
        boolean delta = task.hasTrainTask() ? task.getTrainTask().getModelIsDelta() : task.getEvaluateTask().getModelIsDelta();
        long round = task.hasTrainTask() ? task.getTrainTask().getRound() : task.getEvaluateTask().getRound();
        if (delta) {
            long base = task.hasTrainTask() ? task.getTrainTask().getModelDeltaBase()
                    : task.getEvaluateTask().getModelDeltaBase();
            try {
                if (cachedModel == null || cachedModelVersion != base) {
                    throw new FedgeException(ErrorCode.STALE_MODEL, "model delta against version " + base
                            + ", this client holds " + (cachedModel == null ? "none" : "version " + cachedModelVersion));
                }
                payload = io.fedge.compression.ModelDelta.apply(cachedModel, payload);
            } catch (FedgeException e) {
                cachedModel = null;
                ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, round, 0));
                return;
            }
        }
        cachedModel = payload;
        cachedModelVersion = task.hasTrainTask() ? task.getTrainTask().getModelVersion()
                : task.getEvaluateTask().getModelVersion();
        byte[] model = payload;
        try {
            client.trainingExecutor().execute(() -> runTask(ctx, task, model));
        } catch (RejectedExecutionException e) {
            log.debug("client {} is shutting down; task dropped", client.clientId());
        }
    }

    /** Runs on the training executor. */
    private void runTask(ChannelHandlerContext ctx, Envelope task, byte[] payload) {
        if (!ctx.channel().isActive()) {
            return;
        }
        try {
            GlobalModel model = GlobalModel.decode(payload);
            if (task.hasTrainTask()) {
                train(ctx, task.getTrainTask(), model);
            } else {
                evaluate(ctx, task.getEvaluateTask(), model);
            }
        } catch (FedgeException e) {
            log.warn("client {}: task refused: {}", client.clientId(), e.getMessage());
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e));
        } catch (RuntimeException e) {
            log.error("client {}: task failed", client.clientId(), e);
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(new FedgeException(ErrorCode.INTERNAL, e.toString())));
        }
    }

    private void train(ChannelHandlerContext ctx, TrainTask task, GlobalModel model) {
        if (model.version() != task.getModelVersion()) {
            throw new FedgeException(ErrorCode.STALE_MODEL, "task names model version " + task.getModelVersion()
                    + " but the model sent is version " + model.version());
        }
        UpdateCodec codec = task.hasSecureAggregation() ? null : client.codecs().get(task.getCodec());
        long seed = task.getSeed() * 0x9E3779B97F4A7C15L + client.clientId().hashCode();
        LocalUpdate update = client.trainer().train(model, task.getLocalEpochs(), task.getBatchSize(),
                task.getLearningRate(), seed);
        if (task.hasSecureAggregation()) {
            Trained t = new Trained(task, model.version(), update);
            ctx.executor().execute(() -> onTrainedSecure(ctx, t));
            return;
        }
        long transferId = client.nextTransferId();
        UpdateSealer.Sealing sealing = sealing(task, transferId);
        float[] delta = update.delta();
        ErrorFeedback feedback = codec.wantsErrorFeedback() ? client.errorFeedback() : null;
        float[] meant = feedback == null ? delta : feedback.apply(delta);
        float[] decoded = feedback == null ? null : new float[delta.length];
        OutgoingTransfer upload = UpdateEncoder.encode(transferId, meant, codec,
                client.maxChunkBytes(), client.updateChunkElements(), sealing, decoded);
        if (feedback != null) {
            feedback.stage(meant, decoded);
        }
        TrainResult announced = resultFor(task, model.version(), update, upload, sealing).setCodec(codec.name()).build();
        ctx.executor().execute(() -> announce(ctx, announced, upload));
    }

    private void announce(ChannelHandlerContext ctx, TrainResult result, OutgoingTransfer upload) {
        if (!ctx.channel().isActive()) {
            upload.release();
            return;
        }
        if (pendingUpload != null) {
            pendingUpload.release();
        }
        pendingUpload = upload;
        ctx.writeAndFlush(Envelope.newBuilder().setTrainResult(result).build());
    }

    private void onUploadReady(ChannelHandlerContext ctx, long transferId) {
        if (pendingUpload == null || pendingUpload.header().getTransferId() != transferId) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "UploadReady for unknown transfer " + transferId);
        }
        OutgoingTransfer upload = pendingUpload;
        pendingUpload = null;
        upload.writeTo(ctx.channel()).addListener(f -> {
            if (f.isSuccess()) {
                client.onUpdateSent();
            }
        });
        ctx.flush();
        upload.release();
    }

    private void evaluate(ChannelHandlerContext ctx, EvaluateTask task, GlobalModel model) {
        Evaluation e = client.trainer().evaluate(model, task.getBatchSize());
        ctx.writeAndFlush(Envelope.newBuilder().setEvaluateResult(EvaluateResult.newBuilder()
                .setRound(task.getRound())
                .setModelVersion(model.version())
                .setNumExamples(e.examples())
                .setAccuracy(e.accuracy())
                .setLoss(e.loss())).build());
    }

    private void onError(io.fedge.comm.proto.Error error) {
        log.info("client {}: coordinator says {}: {}", client.clientId(), error.getCode(), error.getMessage());
        if (error.getCode() == io.fedge.comm.proto.ErrorCode.SECURE_AGGREGATION_ABORTED && secAgg != null
                && secAgg.round() == error.getRound()) {
            secAgg = null;
            trained = null;
        }
        if (pendingUpload != null && error.getTransferId() == pendingUpload.header().getTransferId()) {
            pendingUpload.release();
            pendingUpload = null;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.WRITER_IDLE) {
                ctx.writeAndFlush(Envelope.newBuilder()
                        .setHeartbeat(Heartbeat.newBuilder().setUnixMs(System.currentTimeMillis())).build());
            } else if (idle.state() == IdleState.READER_IDLE) {
                log.info("client {}: coordinator silent, reconnecting", client.clientId());
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (pendingUpload != null) {
            pendingUpload.release();
            pendingUpload = null;
        }
        modelDownload = null;
        pendingTask = null;
        client.onDisconnected();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FedgeException e = ProtocolErrors.classify(cause);
        log.info("client {}: closing connection: {}", client.clientId(), e.toString());
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Says goodbye before a deliberate close. */
    static Envelope bye(String reason) {
        return Envelope.newBuilder().setBye(Bye.newBuilder().setReason(reason)).build();
    }
}
