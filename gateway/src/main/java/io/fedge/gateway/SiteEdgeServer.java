package io.fedge.gateway;

import io.fedge.comm.Transports;
import io.fedge.comm.tls.CertificateAuthority;
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
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's HTTP endpoint for inference-only devices and for devices that cannot run a model:
 * {@code GET /edge-model[?device=ID]} answers the signed edge model the coordinator releases to that
 * device (relayed by {@link EdgeRelay}: downloaded once per site; {@code ETag}, {@code 304} and
 * {@code X-Fedge-Release} as the coordinator's endpoint), {@code POST /edge-telemetry} forwards a
 * device's canary report to the coordinator, and {@code POST /infer} runs the newest stable edge
 * model on the rows sent ({@link InferenceRequest}). Work that waits on the coordinator or computes
 * runs on a pool of its own, never on the event loop; connections are kept alive (HTTP/1.1) and
 * closed after 60 s idle. A request that is malformed or over a bound gets 400 with the reason;
 * inference before any model arrived gets 503.
 */
final class SiteEdgeServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SiteEdgeServer.class);

    private final EdgeRelay relay;
    private final SslContext tls;
    private final InetSocketAddress bind;
    private final ExecutorService work;
    private final AtomicInteger inferences = new AtomicInteger();
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong lastRefusalLog = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong refusedConnections = new java.util.concurrent.atomic.AtomicLong();
    private EventLoopGroup group;
    private Channel channel;

    private final java.util.concurrent.ScheduledExecutorService refresher =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "fedge-gateway-edge-refresh");
                t.setDaemon(true);
                return t;
            });
    private final java.time.Duration refresh;

    SiteEdgeServer(EdgeRelay relay, SslContext tls, InetSocketAddress bind, int threads, java.time.Duration refresh,
                   int maxConnections) {
        this.relay = relay;
        this.maxConnections = maxConnections;
        this.tls = tls;
        this.bind = bind;
        this.refresh = refresh;
        AtomicInteger n = new AtomicInteger();
        this.work = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "fedge-gateway-edge-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    InetSocketAddress start() throws InterruptedException {
        group = Transports.eventLoopGroup(1, "fedge-gateway-http");
        channel = new ServerBootstrap().group(group).channel(Transports.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!admit(ch)) {
                            return;
                        }
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(InferenceRequest.MAX_BODY_BYTES))
                                .addLast(new Handler());
                    }
                }).bind(bind).sync().channel();
        refresher.scheduleWithFixedDelay(this::refresh, 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
        InetSocketAddress a = (InetSocketAddress) channel.localAddress();
        log.info("gateway edge endpoint at {}://{}:{}/ (edge-model, edge-telemetry, infer)", tls == null ? "http"
                : "https", a.getHostString(), a.getPort());
        return a;
    }

    /**
     * Counts {@code ch} in while there is room; otherwise answers it {@code 503} (plain HTTP) or
     * closes it (TLS: nothing can be said before a handshake), before any other work, and logs the
     * refusals once a minute with their count.
     */
    private boolean admit(SocketChannel ch) {
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            long n = refusedConnections.incrementAndGet();
            long now = System.nanoTime();
            long last = lastRefusalLog.get();
            if ((last == 0 || now - last > 60_000_000_000L) && lastRefusalLog.compareAndSet(last, now)) {
                log.warn("gateway edge endpoint: refused a connection from {}: {} connections open, the most it "
                        + "takes; {} refused so far", ch.remoteAddress(), maxConnections, n);
            }
            if (tls == null) {
                byte[] body = ("the gateway has " + maxConnections + " connections open; try again later\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                byte[] head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                ch.writeAndFlush(Unpooled.wrappedBuffer(head, body)).addListener(ChannelFutureListener.CLOSE);
            } else {
                ch.close();
            }
            return false;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        return true;
    }

    /** Device connections open now. */
    int openConnections() {
        return open.get();
    }

    /** Fetches the newest stable edge model for the gateway's own inference (a bodiless 304 when it has it). */
    private void refresh() {
        try {
            relay.forDevice(null);
        } catch (java.io.IOException e) {
            log.warn("gateway edge endpoint: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Inference requests answered so far. */
    int inferences() {
        return inferences.get();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            QueryStringDecoder uri;
            try {
                uri = new QueryStringDecoder(req.uri());
                uri.parameters(); // decodes, and throws on a malformed escape
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || !req.decoderResult().isSuccess()) {
                respond(ctx, text(HttpResponseStatus.BAD_REQUEST, "malformed request"), keepAlive);
                return;
            }
            String path = uri.path();
            if (req.method().equals(HttpMethod.GET) && path.equals("/edge-model")) {
                List<String> ids = uri.parameters().get("device");
                String device = ids != null && !ids.isEmpty() ? ids.get(0) : req.headers().get("X-Fedge-Device");
                if (device != null && !CertificateAuthority.CLIENT_ID.matcher(device).matches()) {
                    respond(ctx, text(HttpResponseStatus.BAD_REQUEST, "device must be an id of 1 to 64 letters, "
                            + "digits, '.', '_' or '-'"), keepAlive);
                    return;
                }
                String ifNoneMatch = req.headers().get(HttpHeaderNames.IF_NONE_MATCH);
                offload(ctx, keepAlive, () -> model(device, ifNoneMatch));
            } else if (req.method().equals(HttpMethod.POST) && path.equals("/edge-telemetry")) {
                byte[] body = bytes(req);
                if (body.length > 16 * 1024) {
                    respond(ctx, text(HttpResponseStatus.BAD_REQUEST, "telemetry of " + body.length
                            + " bytes, at most 16384"), keepAlive);
                    return;
                }
                offload(ctx, keepAlive, () -> telemetry(body));
            } else if (req.method().equals(HttpMethod.POST) && path.equals("/infer")) {
                byte[] body = bytes(req);
                String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE, "application/json");
                boolean binary = type.startsWith("application/octet-stream");
                offload(ctx, keepAlive, () -> infer(body, binary));
            } else {
                respond(ctx, text(HttpResponseStatus.NOT_FOUND, "not found"), keepAlive);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private interface Work {
        FullHttpResponse run() throws Exception;
    }

    /**
     * Runs {@code w} on the pool; the connection reads nothing more until its answer is written,
     * so answers go out in the order their requests came.
     */
    private void offload(ChannelHandlerContext ctx, boolean keepAlive, Work w) {
        ctx.channel().config().setAutoRead(false);
        try {
            work.execute(() -> {
                FullHttpResponse res;
                try {
                    res = w.run();
                } catch (IllegalArgumentException e) {
                    res = text(HttpResponseStatus.BAD_REQUEST, e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    res = text(HttpResponseStatus.SERVICE_UNAVAILABLE, "gateway shutting down");
                } catch (Exception e) {
                    log.warn("gateway edge endpoint: {}", e.getMessage());
                    res = text(HttpResponseStatus.BAD_GATEWAY, e.getMessage());
                }
                FullHttpResponse answer = res;
                ctx.executor().execute(() -> respond(ctx, answer, keepAlive));
            });
        } catch (RejectedExecutionException e) {
            respond(ctx, text(HttpResponseStatus.SERVICE_UNAVAILABLE, "gateway shutting down"), false);
        }
    }

    private FullHttpResponse model(String device, String ifNoneMatch) throws Exception {
        Optional<EdgeRelay.Release> r = relay.forDevice(device);
        if (r.isEmpty()) {
            return text(HttpResponseStatus.NOT_FOUND, "no edge model released yet");
        }
        EdgeRelay.Release release = r.get();
        String etag = "\"v" + release.version() + "\"";
        FullHttpResponse res = etag.equals(ifNoneMatch)
                ? text(HttpResponseStatus.NOT_MODIFIED, "")
                : new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(release.file()));
        if (res.status().equals(HttpResponseStatus.OK)) {
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, release.file().length);
        }
        res.headers().set(HttpHeaderNames.ETAG, etag).set("X-Fedge-Release", release.release());
        return res;
    }

    private FullHttpResponse telemetry(byte[] body) throws Exception {
        HttpResponse<byte[]> up = relay.telemetry(body);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(up.statusCode()), Unpooled.wrappedBuffer(up.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, up.body().length);
        return res;
    }

    private FullHttpResponse infer(byte[] body, boolean binary) {
        Optional<EdgeRelay.Release> model = relay.newestStable();
        if (model.isEmpty()) {
            return text(HttpResponseStatus.SERVICE_UNAVAILABLE, "no edge model yet: the coordinator has released none");
        }
        EdgeRelay.Release m = model.get();
        float[][] rows = InferenceRequest.rows(body, binary, m.model());
        byte[] answer = InferenceRequest.answer(m.model(), m.version(), rows);
        inferences.incrementAndGet();
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(answer));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.length);
        return res;
    }

    private static byte[] bytes(FullHttpRequest req) {
        byte[] b = new byte[req.content().readableBytes()];
        req.content().readBytes(b);
        return b;
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpResponse res, boolean keepAlive) {
        if (!ctx.channel().isActive()) {
            res.release();
            return;
        }
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(res);
            ctx.channel().config().setAutoRead(true);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String message) {
        byte[] body = message.isEmpty() ? new byte[0]
                : (message + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        work.shutdownNow();
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
