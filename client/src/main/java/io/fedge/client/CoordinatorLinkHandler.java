package io.fedge.client;

import io.fedge.comm.ProtocolErrors;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.ByeCode;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.Hello;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The client's end of one connection: says Hello, keeps the connection alive with heartbeats,
 * and dispatches the coordinator's messages to the connection's model download, task runner,
 * secure round and update upload.
 *
 * <p>One instance per connection, on its event loop; a new connection gets a new handler, so
 * work finished for a dropped connection is discarded and the round retried on the next task.
 */
final class CoordinatorLinkHandler extends SimpleChannelInboundHandler<Envelope> {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorLinkHandler.class);

    private final FederatedClient client;
    private final ModelDownload download;
    private final UpdateUpload upload;
    private final SecureRound secure;
    private final TaskRunner runner;
    private final TaskChecks checks;
    private boolean registered;
    /** Why this connection is failing before the Welcome, if it said; for the client's log. */
    private String trouble;

    CoordinatorLinkHandler(FederatedClient client) {
        this.client = client;
        this.download = new ModelDownload(client.trustedModelKey(), client.maxModelBytes(), client.sharedModels());
        this.upload = new UpdateUpload(client);
        this.secure = new SecureRound(client, upload);
        this.runner = new TaskRunner(client, upload, secure);
        this.checks = new TaskChecks(client.clientId(), client.trustedModelKey());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Envelope.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(WireProtocol.VERSION)
                .setClientId(client.clientId())
                .addAllCodecs(client.codecs().names())
                .addAllFeatures(client.work().features())
                .setNumExamples(client.declaredExamples())).build());
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
        try {
            switch (msg.getBodyCase()) {
                case WELCOME -> onWelcome(ctx, msg);
                case HEARTBEAT -> { }
                case TRAIN_TASK -> {
                    client.listener().trainTask(client.clientId(), msg.getTrainTask().getRound());
                    startTask(ctx, msg);
                }
                case SECAGG_ROSTER -> secure.roster(ctx, msg.getSecaggRoster());
                case SECAGG_SHARES -> secure.shares(ctx, msg.getSecaggShares());
                case SECAGG_UNMASK -> secure.unmask(ctx, msg.getSecaggUnmask());
                case EVALUATE_TASK -> startTask(ctx, msg);
                case CHUNK -> onChunk(ctx, msg.getChunk());
                case UPLOAD_READY -> upload.ready(ctx, msg.getUploadReady().getTransferId());
                case UPDATE_ACCEPTED -> upload.accepted(msg.getUpdateAccepted());
                case ERROR -> onError(ctx, msg.getError());
                case BYE -> {
                    client.onBye(msg.getBye());
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
            String why = "the coordinator speaks protocol " + msg.getWelcome().getProtocolVersion() + ", this client "
                    + WireProtocol.VERSION;
            client.onRefused(why);
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(new FedgeException(ErrorCode.UNSUPPORTED_PROTOCOL, why)))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        registered = true;
        long heartbeat = Math.max(100, msg.getWelcome().getHeartbeatIntervalMs());
        client.setMaxChunkBytes(msg.getWelcome().getMaxChunkBytes());
        client.setUpdateChunkElements(msg.getWelcome().getUpdateChunkElements());
        download.keepForDeltas(msg.getWelcome().getModelDeltas());
        ctx.pipeline().addBefore(ctx.name(), "idle",
                new IdleStateHandler(heartbeat * 4, heartbeat, 0, TimeUnit.MILLISECONDS));
        client.onRegistered();
    }

    /**
     * Checks a task and starts the download of its model (and a training task's secure round); a
     * task this client refuses is answered with an Error naming its round and model transfer, and
     * its model's chunks are dropped.
     */
    private void startTask(ChannelHandlerContext ctx, Envelope task) {
        if (!registered) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "task before Welcome");
        }
        try {
            checks.check(task);
            download.begin(task);
            if (task.hasTrainTask()) {
                secure.begin(ctx, task.getTrainTask());
            }
        } catch (FedgeException e) {
            download.refuse(task);
            TaskRefusal.send(ctx, client.clientId(), Tasks.round(task), Tasks.model(task).getTransferId(), e);
        }
    }

    private void onChunk(ChannelHandlerContext ctx, Chunk chunk) {
        if (download.isRefused(chunk)) {
            return; // the rest of a model this client refused
        }
        Envelope task = download.pendingTask();
        ModelDownload.Downloaded done;
        try {
            ModelDownload.Downloaded sent = download.accept(chunk);
            if (sent == null) {
                return;
            }
            done = download.rebuild(sent);
        } catch (FedgeException e) {
            if (task == null) {
                throw e; // a chunk of no task: a protocol error, not a failed task
            }
            TaskRefusal.send(ctx, client.clientId(), Tasks.round(task), Tasks.model(task).getTransferId(), e);
            return;
        }
        runner.submit(ctx, done.task(), done.model(), done.controlVariate());
    }

    private void onError(ChannelHandlerContext ctx, io.fedge.comm.proto.Error error) {
        log.info("client {}: coordinator says {}: {}", client.clientId(), error.getCode(), error.getMessage());
        if (!registered) {
            trouble = "the coordinator answered " + error.getCode() + ": " + error.getMessage();
        }
        if (Refusals.isPermanent(error.getCode()) || !registered && Refusals.isPermanentAtRegistration(error.getCode())) {
            client.onRefused("the coordinator refuses this client: " + error.getCode() + ": " + error.getMessage());
            ctx.close();
            return;
        }
        if (error.getCode() == io.fedge.comm.proto.ErrorCode.SECURE_AGGREGATION_ABORTED) {
            secure.aborted(error.getRound());
        }
        upload.refused(error.getTransferId());
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
        } else if (evt instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
            tlsFailed(handshake.cause());
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** A TLS failure: for good if it is about a certificate, else a reason to retry. */
    private void tlsFailed(Throwable cause) {
        Optional<String> refusal = Refusals.ofTls(cause);
        if (refusal.isPresent()) {
            client.onRefused(refusal.get());
        } else if (!registered) {
            trouble = "TLS failed: " + Refusals.message(cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        upload.dropped();
        download.reset();
        client.onDisconnected(registered, trouble);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (hasCause(cause, SSLException.class)) {
            tlsFailed(cause);
            ctx.close();
            return;
        }
        FedgeException e = ProtocolErrors.classify(cause);
        if (!registered) {
            trouble = e.getMessage();
        }
        log.info("client {}: closing connection: {}", client.clientId(), e.toString());
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** Says goodbye before a deliberate close. */
    static Envelope bye(ByeCode code, String reason) {
        return Envelope.newBuilder().setBye(Bye.newBuilder().setCode(code).setReason(reason)).build();
    }
}
