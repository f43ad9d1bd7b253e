package io.fedge.coordinator;

import io.fedge.comm.Transports;
import io.fedge.core.model.GlobalModel;
import io.fedge.export.EdgeExport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Produces edge models from new global models on a background thread (rounds go on meanwhile)
 * and serves them as {@link EdgeReleases} says: {@code GET /edge-model[?device=ID]} answers the
 * signed file for that device (the canary's for the devices in it, else the stable one) with
 * {@code ETag: "v<version>"} (the global model version it was distilled from) and
 * {@code X-Fedge-Release: stable|canary}, {@code 304} to a request whose {@code If-None-Match}
 * names it (alone or in a list: a gateway names every version it holds), {@code 404} before the first one exists. {@code POST /edge-telemetry} takes a device's
 * {@link EdgeTelemetry} report (JSON, at most 16 KiB) and answers {@code {"ok":true,"canary":STATE}}
 * or 400 with the reason.
 */
final class EdgeModelServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeModelServer.class);

    private final EdgePublishing config;
    private final RateLimitedLog refusals = RateLimitedLog.perSecond(log);
    private final PrivateKey signingKey;
    private final ExecutorService exporter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedge-edge-export");
        t.setDaemon(true);
        return t;
    });
    private final EdgeReleases releases;
    /**
     * The newest model waiting for export. Exports that fall behind the rounds skip to the newest
     * model instead of queueing every version (each held a whole model): at most one export runs
     * and at most one waits.
     */
    private final java.util.concurrent.atomic.AtomicReference<GlobalModel> pending =
            new java.util.concurrent.atomic.AtomicReference<>();
    private EventLoopGroup group;
    private Channel channel;

    EdgeModelServer(EdgePublishing config, PrivateKey signingKey, EdgeReleases releases) {
        this.config = config;
        this.signingKey = signingKey;
        this.releases = releases;
    }

    EdgeReleases releases() {
        return releases;
    }

    InetSocketAddress start() throws InterruptedException {
        group = Transports.eventLoopGroup(1, "fedge-edge-http");
        channel = new ServerBootstrap().group(group).channel(Transports.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (config.tls() != null) {
                            ch.pipeline().addLast(config.tls().newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(EdgeTelemetry.MAX_BODY_BYTES))
                                .addLast(new Handler());
                    }
                }).bind(config.httpBind()).sync().channel();
        InetSocketAddress address = (InetSocketAddress) channel.localAddress();
        log.info("edge models served at {}://{}:{}/edge-model", config.tls() == null ? "http" : "https",
                address.getHostString(), address.getPort());
        return address;
    }

    /** The version of the stable edge model, or -1. */
    long publishedVersion() {
        return releases.stableVersion();
    }

    /**
     * Waits for the exports queued so far (the last round's, say) to end.
     *
     * @return false if they had not ended within the timeout
     */
    boolean awaitExports(long timeout, TimeUnit unit) throws InterruptedException {
        java.util.concurrent.Future<?> marker;
        try {
            marker = exporter.submit(() -> { }); // one thread: runs after everything queued before it
        } catch (RejectedExecutionException e) {
            return true; // closed: nothing more will be exported
        }
        try {
            marker.get(timeout, unit);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    /** Exports an edge model from {@code model} on the export thread and starts a canary with it. */
    void exportAsCanary(GlobalModel model) {
        try {
            exporter.execute(() -> export(model, true));
        } catch (RejectedExecutionException e) {
            log.debug("edge export of version {} dropped: shutting down", model.version());
        }
    }

    /** Called after round {@code round} published {@code model}: exports an edge model if it is time. */
    void roundPublished(long round, GlobalModel model) {
        if (round % config.everyRounds() != 0) {
            return;
        }
        modelPublished(model);
    }

    /** Exports an edge model from {@code model} now, whatever the round (a rollback's copy). */
    void modelPublished(GlobalModel model) {
        GlobalModel superseded = pending.getAndSet(model);
        if (superseded != null) {
            log.info("edge export of model version {} skipped: version {} is newer", superseded.version(),
                    model.version());
            return; // an export task is already queued, and it will take the newest model
        }
        try {
            exporter.execute(this::exportPending);
        } catch (RejectedExecutionException e) {
            log.debug("edge export of version {} dropped: shutting down", model.version());
        }
    }

    private void exportPending() {
        GlobalModel next = pending.getAndSet(null);
        if (next != null) {
            export(next, false);
        }
    }

    private void export(GlobalModel model, boolean asCanary) {
        try {
            Path dir = Files.createTempDirectory("fedge-edge-");
            EdgeExport.Report r = EdgeExport.export(model, config.student(), config.transfer(), config.test(),
                    config.distiller(), config.quantizer(), signingKey, null, dir);
            byte[] file = Files.readAllBytes(r.file());
            releases.recordExport(new EdgeExportEntry(model.version(), r.student(), file.length,
                    java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(file)),
                    r.edgeAccuracy(), r.teacherAccuracy(), System.currentTimeMillis()));
            releases.exported(new EdgeReleases.Release(model.version(), file), asCanary);
            log.info("edge model {} v{} published: {} bytes, int8 accuracy {} (teacher {})", config.student(),
                    model.version(), r.edgeFileBytes(), String.format(java.util.Locale.ROOT, "%.4f", r.edgeAccuracy()),
                    String.format(java.util.Locale.ROOT, "%.4f", r.teacherAccuracy()));
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException | RuntimeException | java.security.NoSuchAlgorithmException e) {
            log.error("edge export of model version {} failed", model.version(), e);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            FullHttpResponse res;
            java.util.Optional<io.netty.handler.codec.http.QueryStringDecoder> decoded = AdminApi.decode(req.uri());
            io.netty.handler.codec.http.QueryStringDecoder uri = decoded.orElse(null);
            if (uri == null || !req.decoderResult().isSuccess()) {
                res = json(HttpResponseStatus.BAD_REQUEST, AdminJson.error("malformed request"));
            } else if (req.method().equals(HttpMethod.GET) && uri.path().equals("/edge-model")) {
                res = model(req, uri);
            } else if (req.method().equals(HttpMethod.POST) && uri.path().equals("/edge-telemetry")) {
                res = telemetry(ctx, req);
            } else {
                res = status(HttpResponseStatus.NOT_FOUND);
            }
            // each answer closes its connection, and says so: clients must not send on it again
            res.headers().set(HttpHeaderNames.CONNECTION, io.netty.handler.codec.http.HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        private FullHttpResponse model(FullHttpRequest req, io.netty.handler.codec.http.QueryStringDecoder uri) {
            java.util.List<String> ids = uri.parameters().get("device");
            String device = ids != null && !ids.isEmpty() ? ids.get(0) : req.headers().get("X-Fedge-Device");
            if (device != null && !io.fedge.comm.tls.CertificateAuthority.CLIENT_ID.matcher(device).matches()) {
                return json(HttpResponseStatus.BAD_REQUEST, AdminJson.error("device must be an id of 1 to 64 "
                        + "letters, digits, '.', '_' or '-'"));
            }
            java.util.Optional<EdgeReleases.Release> p = releases.serve(device);
            if (p.isEmpty()) {
                return status(HttpResponseStatus.NOT_FOUND);
            }
            EdgeReleases.Release r = p.get();
            String etag = "\"v" + r.version() + "\"";
            FullHttpResponse res;
            if (names(req.headers().get(HttpHeaderNames.IF_NONE_MATCH), etag)) {
                res = status(HttpResponseStatus.NOT_MODIFIED);
            } else {
                res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(r.file()));
                res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, r.file().length);
            }
            res.headers().set(HttpHeaderNames.ETAG, etag)
                    .set("X-Fedge-Release", r.version() == releases.canaryVersion() ? "canary" : "stable");
            return res;
        }

        private FullHttpResponse telemetry(ChannelHandlerContext ctx, FullHttpRequest req) {
            byte[] body = new byte[req.content().readableBytes()];
            req.content().readBytes(body);
            try {
                EdgeTelemetry t = EdgeTelemetry.parse(body);
                EdgeReleases.Reported r = releases.report(t);
                return json(HttpResponseStatus.OK, AdminJson.MAPPER.createObjectNode().put("ok", true)
                        .put("canary", r.canaryState()));
            } catch (io.fedge.core.FedgeException | IllegalArgumentException e) {
                refusals.info("telemetry", "edge telemetry from " + ctx.channel().remoteAddress() + " refused: "
                        + e.getMessage());
                return json(HttpResponseStatus.BAD_REQUEST, AdminJson.error(e.getMessage()));
            } catch (IOException e) {
                log.error("edge telemetry: cannot record the canary's verdict: {}", e.getMessage());
                return json(HttpResponseStatus.INTERNAL_SERVER_ERROR, AdminJson.error("cannot record: "
                        + e.getMessage()));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * Whether an {@code If-None-Match} header names {@code etag}: one tag or a list of them (a
     * gateway names every version it holds, and gets a bodiless 304 for any of them).
     */
    static boolean names(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null || ifNoneMatch.length() > 4096) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",", 64)) {
            if (tag.strip().equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static FullHttpResponse json(HttpResponseStatus status, com.fasterxml.jackson.databind.JsonNode node) {
        byte[] body;
        try {
            body = AdminJson.MAPPER.writeValueAsBytes(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").setInt(HttpHeaderNames.CONTENT_LENGTH,
                body.length);
        return r;
    }

    private static FullHttpResponse status(HttpResponseStatus s) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, Unpooled.EMPTY_BUFFER);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return r;
    }

    @Override
    public void close() {
        exporter.shutdownNow();
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
