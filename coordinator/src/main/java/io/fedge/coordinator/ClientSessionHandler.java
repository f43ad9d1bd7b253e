package io.fedge.coordinator;

import io.fedge.comm.tls.KeyPurposes;
import io.fedge.comm.tls.TlsContexts;
import io.netty.handler.ssl.SslHandler;
import java.util.Optional;

import io.fedge.comm.IncomingTransfer;
import io.fedge.comm.ProtocolErrors;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.UpdateAccepted;
import io.fedge.comm.proto.UploadReady;
import io.fedge.comm.proto.Welcome;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The coordinator's end of one client connection: the Hello handshake, heartbeats, update
 * uploads (announce, wait for admission, receive and verify chunks, hand over for folding) and
 * evaluation answers. Every refused message is answered with an {@code Error} naming the reason;
 * malformed frames and protocol violations before the handshake close the connection.
 *
 * <p>One instance per channel; runs on the channel's event loop and never blocks it: decoding
 * and folding happen on the aggregation thread.
 */
final class ClientSessionHandler extends SimpleChannelInboundHandler<Envelope> {
    private static final Logger log = LoggerFactory.getLogger(ClientSessionHandler.class);
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
    /** Refused registrations, at most one line a second per error code, with a count of the rest. */
    private static final RateLimitedLog REFUSED_REGISTRATIONS = RateLimitedLog.perSecond(log);

    private final CoordinatorState state;
    private ClientSession session;
    private ScheduledFuture<?> handshakeTimer;
    /** The upload being received, with its round and gate ticket; null when none. */
    private Upload upload;
    /** A refused transfer whose remaining chunks are dropped without further errors. */
    private long refusedTransferId = -1;

    private static final class Upload {
        final ActiveRound round;
        final TrainResult result;
        final IncomingTransfer transfer;
        UploadGate.Ticket ticket;
        boolean admitted;
        /** Chunks received so far, and when the last one (or the admission) came: what the stall check looks at. */
        long chunksReceived;
        long lastProgressNanos;
        ScheduledFuture<?> stallTimer;

        Upload(ActiveRound round, TrainResult result, IncomingTransfer transfer) {
            this.round = round;
            this.result = result;
            this.transfer = transfer;
        }
    }

    ClientSessionHandler(CoordinatorState state) {
        this.state = state;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        handshakeTimer = ctx.executor().schedule(() -> {
            if (session == null) {
                refuseAndClose(ctx, new FedgeException(ErrorCode.NOT_REGISTERED, "no Hello within "
                        + state.limits.handshakeMillis() + " ms"));
            }
        }, state.limits.handshakeMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
        if (session != null) {
            state.health.alive(session.clientId());
        }
        try {
            dispatch(ctx, msg);
        } catch (FedgeException e) {
            log.debug("refused {} from {}: {}", msg.getBodyCase(), who(), e.toString());
            ActiveRound round = upload != null ? upload.round : state.round;
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, round == null ? 0 : round.round, 0));
        }
    }

    private void dispatch(ChannelHandlerContext ctx, Envelope msg) {
        switch (msg.getBodyCase()) {
            case HELLO -> onHello(ctx, msg.getHello());
            case HEARTBEAT -> {
                requireSession();
                ctx.writeAndFlush(Envelope.newBuilder()
                        .setHeartbeat(Heartbeat.newBuilder().setUnixMs(System.currentTimeMillis())).build());
            }
            case TRAIN_RESULT -> onTrainResult(ctx, msg.getTrainResult());
            case CHUNK -> onChunk(ctx, msg.getChunk());
            case EVALUATE_RESULT -> {
                requireSession();
                ActiveEvaluation evaluation = state.evaluation;
                if (evaluation == null) {
                    throw new FedgeException(ErrorCode.LATE_RESULT, "no evaluation is in progress");
                }
                evaluation.accept(session.clientId(), msg.getEvaluateResult(), session.numExamples());
            }
            case SECAGG_KEYS -> onSecAgg(msg.getSecaggKeys().getRound(), s -> s.acceptKeys(session.clientId(),
                    msg.getSecaggKeys()));
            case SECAGG_SHARES -> onSecAgg(msg.getSecaggShares().getRound(), s -> s.acceptShares(session.clientId(),
                    msg.getSecaggShares()));
            case SECAGG_REVEAL -> onSecAgg(msg.getSecaggReveal().getRound(), s -> s.acceptReveal(session.clientId(),
                    msg.getSecaggReveal()));
            case SECAGG_LIST_SIGNATURE -> onSecAgg(msg.getSecaggListSignature().getRound(),
                    s -> s.acceptListSignature(session.clientId(), msg.getSecaggListSignature()));
            case ERROR -> onClientError(msg.getError());
            case BYE -> ctx.close();
            case BODY_NOT_SET -> throw new FedgeException(ErrorCode.UNKNOWN_MESSAGE,
                    "envelope carries no message this coordinator knows");
            default -> throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE,
                    msg.getBodyCase() + " is sent by the coordinator, not to it");
        }
    }

    private void onHello(ChannelHandlerContext ctx, Hello hello) {
        if (session != null) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "already registered as " + session.clientId());
        }
        if (hello.getProtocolVersion() != WireProtocol.VERSION) {
            refuseAndClose(ctx, new FedgeException(ErrorCode.UNSUPPORTED_PROTOCOL, "protocol version "
                    + hello.getProtocolVersion() + " is not supported, this coordinator speaks " + WireProtocol.VERSION));
            return;
        }
        if (!CLIENT_ID.matcher(hello.getClientId()).matches()) {
            refuseAndClose(ctx, new FedgeException(ErrorCode.MALFORMED, "client id must be 1-128 characters of "
                    + "letters, digits and ._:@-"));
            return;
        }
        boolean gateway = hello.getFeaturesList().contains(WireProtocol.FEATURE_GATEWAY);
        if (state.tls != null) {
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            Optional<String> certified = tls == null ? Optional.empty() : TlsContexts.peerCommonName(tls);
            if (certified.isEmpty() || !certified.get().equals(hello.getClientId())) {
                refuseAndClose(ctx, new FedgeException(ErrorCode.UNAUTHENTICATED, "Hello claims client id '"
                        + hello.getClientId() + "' but the certificate is for "
                        + certified.map(id -> "'" + id + "'").orElse("nobody")));
                return;
            }
            if (gateway && !TlsContexts.peerCertificate(tls).map(c -> KeyPurposes.carries(c, KeyPurposes.GATEWAY))
                    .orElse(false)) {
                refuseAndClose(ctx, new FedgeException(ErrorCode.UNAUTHENTICATED, hello.getClientId()
                        + " announces itself a gateway, but its certificate is not a gateway's (fedge certs gateway)"));
                return;
            }
        }
        long maxDeclared = gateway ? saturatedProduct(state.maxGatewayDevices, state.bounds.maxExamplesPerClient())
                : state.bounds.maxExamplesPerClient();
        if (Long.compareUnsigned(hello.getNumExamples(), maxDeclared) > 0) {
            FedgeException e = new FedgeException(ErrorCode.LIMIT_EXCEEDED, (gateway ? "gateway " : "client ")
                    + hello.getClientId() + " declares " + Long.toUnsignedString(hello.getNumExamples())
                    + " examples, this coordinator takes at most " + maxDeclared
                    + (gateway ? " per gateway (" + state.maxGatewayDevices + " devices of at most "
                    + state.bounds.maxExamplesPerClient() + ")" : " per client"));
            refuseAndClose(ctx, e);
            return;
        }
        if (gateway) {
            log.info("gateway {} registered from {} with {} examples behind it", hello.getClientId(),
                    ctx.channel().remoteAddress(), hello.getNumExamples());
        }
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        session = new ClientSession(hello.getClientId(), ctx.channel(), hello.getNumExamples(), hello.getCodecsList(),
                hello.getFeaturesList(), new java.util.concurrent.atomic.AtomicLong(-1));
        state.registry.register(session).ifPresent(old ->
                log.debug("client {} reconnected; its previous connection is closed", old.clientId()));
        ctx.writeAndFlush(Envelope.newBuilder().setWelcome(Welcome.newBuilder()
                .setProtocolVersion(WireProtocol.VERSION)
                .setClientId(session.clientId())
                .setHeartbeatIntervalMs((int) state.limits.heartbeatMillis())
                .setMaxChunkBytes(state.limits.chunkBytes())
                .setUpdateChunkElements(state.limits.updateChunkElements())
                .setModelDeltas(state.deltaModelVersions > 0)).build());
        log.debug("client {} registered from {} with {} examples", session.clientId(), ctx.channel().remoteAddress(),
                hello.getNumExamples());
    }

    private static long saturatedProduct(long a, long b) {
        return Math.multiplyHigh(a, b) != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
    }

    private void onTrainResult(ChannelHandlerContext ctx, TrainResult result) {
        requireSession();
        if (upload != null) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "transfer " + upload.transfer.transferId()
                    + " is still in progress");
        }
        ActiveRound round = state.round;
        if (round == null) {
            throw new FedgeException(ErrorCode.LATE_RESULT, "no round is in progress");
        }
        long transferId = result.getUpdate().getTransferId();
        try {
            round.announce(session.clientId(), result);
        } catch (FedgeException e) {
            refusedTransferId = transferId;
            if (failsTheRound(e.code())) {
                // the client sends one update per task: one refused for what it says will not be followed by another
                round.clientFailed(session.clientId(), e.code() + ": " + e.getMessage());
                state.signalProgress();
            }
            throw e;
        }
        IncomingTransfer transfer;
        try {
            transfer = new IncomingTransfer(result.getUpdate(), result.getUpdate().getTotalLength(),
                    state.limits.maxUpdateChunks());
        } catch (FedgeException e) {
            refusedTransferId = transferId;
            round.clientFailed(session.clientId(), e.getMessage());
            throw e;
        }
        Upload u = new Upload(round, result, transfer);
        u.ticket = new UploadGate.Ticket(result.getUpdate().getTotalLength(),
                () -> ctx.executor().execute(() -> admit(ctx, u)));
        upload = u;
        state.uploadGate.request(u.ticket);
    }

    /**
     * Whether an announcement refused with {@code code} fails its client for the round: every
     * refusal of what the update says (its claim, shape, codec, model version, loss), but not one
     * for another round, a closed round, a client not selected or a second announcement, which say
     * nothing about the update the round waits for.
     */
    private static boolean failsTheRound(ErrorCode code) {
        return code != ErrorCode.WRONG_ROUND && code != ErrorCode.LATE_RESULT && code != ErrorCode.UNEXPECTED_MESSAGE
                && code != ErrorCode.DUPLICATE_RESULT;
    }

    /**
     * Hands a secure-aggregation message to the current round. A message the round refuses for
     * its content (not for arriving late or for another round) takes the client out of the round.
     */
    private void onSecAgg(long messageRound, java.util.function.Consumer<SecAggAggregator> action) {
        requireSession();
        ActiveRound round = state.round;
        if (round == null || round.secAgg() == null || round.round != messageRound) {
            throw new FedgeException(ErrorCode.WRONG_ROUND, "no secure-aggregation round " + messageRound
                    + " is in progress");
        }
        try {
            action.accept(round.secAgg());
        } catch (FedgeException e) {
            if (e.code() != ErrorCode.LATE_RESULT && e.code() != ErrorCode.WRONG_ROUND) {
                round.clientFailed(session.clientId(), e.getMessage());
            }
            throw e;
        } finally {
            state.signalProgress();
        }
    }

    private void admit(ChannelHandlerContext ctx, Upload admitted) {
        if (upload != admitted || !ctx.channel().isActive()) {
            return;
        }
        upload.admitted = true;
        scheduleStallCheck(ctx, upload);
        ctx.writeAndFlush(Envelope.newBuilder()
                .setUploadReady(UploadReady.newBuilder().setTransferId(upload.transfer.transferId())).build());
    }

    /**
     * Fails an admitted upload that makes no progress: no chunk within the progress deadline. A
     * client that stops sending while its heartbeats keep the connection alive would otherwise
     * hold its share of the upload budget, and every upload queued behind it, until the round's
     * deadline.
     */
    private void scheduleStallCheck(ChannelHandlerContext ctx, Upload u) {
        u.lastProgressNanos = nanoTime(ctx);
        scheduleStallCheck(ctx, u, state.limits.transferProgressMillis());
    }

    private void scheduleStallCheck(ChannelHandlerContext ctx, Upload u, long delayMillis) {
        long limit = state.limits.transferProgressMillis();
        u.stallTimer = ctx.executor().schedule(() -> {
            if (upload != u) {
                return;
            }
            long idleMillis = (nanoTime(ctx) - u.lastProgressNanos) / 1_000_000;
            if (idleMillis < limit) {
                scheduleStallCheck(ctx, u, limit - idleMillis); // a chunk came since: wait out the rest of its period
                return;
            }
            FedgeException e = new FedgeException(ErrorCode.TRANSFER_STALLED, "upload of transfer "
                    + u.transfer.transferId() + " received no chunk for " + idleMillis + " ms (limit " + limit + " ms; "
                    + u.chunksReceived + " of " + u.transfer.header().getChunkCount() + " chunks arrived)");
            log.info("client {}: {}; failed for round {}", who(), e.getMessage(), u.round.round);
            refusedTransferId = u.transfer.transferId();
            dropUpload(e.code() + ": " + e.getMessage());
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, u.round.round, u.transfer.transferId()));
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** The event loop's clock (a test's virtual one on an EmbeddedChannel), the JVM's otherwise. */
    private static long nanoTime(ChannelHandlerContext ctx) {
        return ctx.executor() instanceof io.netty.util.concurrent.AbstractScheduledEventExecutor e
                ? e.ticker().nanoTime() : System.nanoTime();
    }

    private void onChunk(ChannelHandlerContext ctx, Chunk chunk) {
        requireSession();
        if (chunk.getTransferId() == refusedTransferId) {
            return;
        }
        if (upload == null || !upload.admitted || upload.transfer.transferId() != chunk.getTransferId()) {
            refusedTransferId = chunk.getTransferId();
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "chunk of transfer " + chunk.getTransferId()
                    + ", which was not announced or not yet admitted");
        }
        Upload u = upload;
        u.chunksReceived++;
        u.lastProgressNanos = nanoTime(ctx);
        boolean complete;
        try {
            String id = session.clientId();
            complete = u.transfer.accept(chunk, data -> u.round.openChunk(id, chunk.getSeq(), data));
        } catch (FedgeException e) {
            dropUpload(e.code() + ": " + e.getMessage());
            refusedTransferId = chunk.getTransferId();
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, u.round.round, chunk.getTransferId()));
            return;
        }
        if (!complete) {
            return;
        }
        upload = null;
        cancelStallTimer(u);
        String clientId = session.clientId();
        u.round.uploaded(clientId);
        try {
            state.aggregationExecutor.execute(() -> foldUpload(ctx, clientId, u));
        } catch (RejectedExecutionException e) {
            state.uploadGate.release(u.ticket);
        }
    }

    /** Runs on the aggregation thread. */
    private void foldUpload(ChannelHandlerContext ctx, String clientId, Upload u) {
        try {
            u.round.fold(clientId, u.result, u.transfer.chunks());
            ctx.writeAndFlush(Envelope.newBuilder().setUpdateAccepted(UpdateAccepted.newBuilder()
                    .setRound(u.round.round).setTransferId(u.transfer.transferId())).build());
        } catch (FedgeException e) {
            log.info("update of {} for round {} refused: {}", clientId, u.round.round, e.getMessage());
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, u.round.round, u.transfer.transferId()));
        } catch (RuntimeException e) {
            log.warn("update of {} for round {} failed to aggregate", clientId, u.round.round, e);
            u.round.clientFailed(clientId, "aggregation failed: " + e);
        } finally {
            state.uploadGate.release(u.ticket);
        }
    }

    private static void cancelStallTimer(Upload u) {
        if (u.stallTimer != null) {
            u.stallTimer.cancel(false);
        }
    }

    private void dropUpload(String reason) {
        if (upload == null) {
            return;
        }
        Upload u = upload;
        upload = null;
        cancelStallTimer(u);
        state.uploadGate.release(u.ticket);
        if (session != null && !u.round.isUploaded(session.clientId())) {
            u.round.clientFailed(session.clientId(), reason);
        }
    }

    /**
     * A client's Error is logged; one that names the current round (a task the client refuses,
     * for example a model whose signature fails) counts as that client's failure at once, so the
     * round does not wait for its deadline.
     */
    private void onClientError(io.fedge.comm.proto.Error error) {
        log.info("{} reports {}: {}", who(), error.getCode(), error.getMessage());
        if (session == null || error.getRound() == 0) {
            return;
        }
        // whatever it refused, the next model it gets goes in full, not as a delta against something it may not hold
        session.modelVersion().set(-1);
        String reason = "client refused the task: " + error.getCode() + ": " + error.getMessage();
        ActiveRound round = state.round;
        if (round != null && round.round == error.getRound()) {
            round.clientFailed(session.clientId(), reason);
            state.signalProgress();
        }
        ActiveEvaluation evaluation = state.evaluation;
        if (evaluation != null && evaluation.round == error.getRound()) {
            evaluation.clientFailed(session.clientId(), reason);
        }
    }

    private void requireSession() {
        if (session == null) {
            throw new FedgeException(ErrorCode.NOT_REGISTERED, "send Hello first");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        String cut = ctx.channel().attr(OutboundBackpressure.CUT_BECAUSE).get();
        String disconnected = cut == null ? "disconnected" : "disconnected by the coordinator: " + cut;
        dropUpload(disconnected + " during upload");
        if (session != null) {
            boolean current = state.registry.remove(session);
            ActiveRound round = state.round;
            if (round != null) {
                round.connectionLost(session.clientId(), ctx.channel(), current, disconnected);
            }
            ActiveEvaluation evaluation = state.evaluation;
            if (evaluation != null && current) {
                evaluation.clientFailed(session.clientId(), disconnected);
            }
            state.signalProgress();
            log.debug("client {} disconnected", session.clientId());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            refuseAndClose(ctx, new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "no frame for "
                    + state.limits.idleMillis() + " ms"));
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FedgeException e = ProtocolErrors.classify(cause);
        if (e.code() == ErrorCode.INTERNAL && cause instanceof java.io.IOException
                && !(cause instanceof javax.net.ssl.SSLException)) {
            // the network's doing (a reset, a broken pipe), not fedge's: one line, no stack trace
            log.info("connection of {} lost: {}", who(), cause.getMessage());
        } else if (e.code() == ErrorCode.INTERNAL) {
            log.warn("connection of {} failed", who(), cause);
        } else {
            log.info("closing connection of {}: {}", who(), e.toString());
        }
        refuseAndClose(ctx, e);
    }

    private void refuseAndClose(ChannelHandlerContext ctx, FedgeException e) {
        if (session == null && ctx.channel().isActive()) {
            REFUSED_REGISTRATIONS.info(e.code().name(), "refused registration from " + ctx.channel().remoteAddress()
                    + ": " + e.code() + ": " + e.getMessage());
        }
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(e)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private String who() {
        return session != null ? session.clientId() : "unregistered peer";
    }
}
