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
 * and serves the newest one: {@code GET /edge-model} answers the signed file with
 * {@code ETag: "v<version>"} (the global model version it was distilled from), {@code 304} to a
 * request whose {@code If-None-Match} names it, {@code 404} before the first one exists.
 */
final class EdgeModelServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeModelServer.class);

    private record Published(long version, byte[] file) {
    }

    private final EdgePublishing config;
    private final PrivateKey signingKey;
    private final ExecutorService exporter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedge-edge-export");
        t.setDaemon(true);
        return t;
    });
    private volatile Published latest;
    /**
     * The newest model waiting for export. Exports that fall behind the rounds skip to the newest
     * model instead of queueing every version (each held a whole model): at most one export runs
     * and at most one waits.
     */
    private final java.util.concurrent.atomic.AtomicReference<GlobalModel> pending =
            new java.util.concurrent.atomic.AtomicReference<>();
    private EventLoopGroup group;
    private Channel channel;

    EdgeModelServer(EdgePublishing config, PrivateKey signingKey) {
        this.config = config;
        this.signingKey = signingKey;
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
                                .addLast(new HttpObjectAggregator(4096))
                                .addLast(new Handler());
                    }
                }).bind(config.httpBind()).sync().channel();
        InetSocketAddress address = (InetSocketAddress) channel.localAddress();
        log.info("edge models served at {}://{}:{}/edge-model", config.tls() == null ? "http" : "https",
                address.getHostString(), address.getPort());
        return address;
    }

    /** The version of the newest published edge model, or -1. */
    long publishedVersion() {
        Published p = latest;
        return p == null ? -1 : p.version();
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
            export(next);
        }
    }

    private void export(GlobalModel model) {
        try {
            Path dir = Files.createTempDirectory("fedge-edge-");
            EdgeExport.Report r = EdgeExport.export(model, config.student(), config.transfer(), config.test(),
                    config.distiller(), config.quantizer(), signingKey, null, dir);
            latest = new Published(model.version(), Files.readAllBytes(r.file()));
            log.info("edge model {} v{} published: {} bytes, int8 accuracy {} (teacher {})", config.student(),
                    model.version(), r.edgeFileBytes(), String.format(java.util.Locale.ROOT, "%.4f", r.edgeAccuracy()),
                    String.format(java.util.Locale.ROOT, "%.4f", r.teacherAccuracy()));
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException | RuntimeException e) {
            log.error("edge export of model version {} failed", model.version(), e);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            FullHttpResponse res;
            Published p = latest;
            if (!req.method().equals(HttpMethod.GET) || !req.uri().equals("/edge-model")) {
                res = status(HttpResponseStatus.NOT_FOUND);
            } else if (p == null) {
                res = status(HttpResponseStatus.NOT_FOUND);
            } else {
                String etag = "\"v" + p.version() + "\"";
                if (etag.equals(req.headers().get(HttpHeaderNames.IF_NONE_MATCH))) {
                    res = status(HttpResponseStatus.NOT_MODIFIED);
                } else {
                    res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.wrappedBuffer(p.file()));
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, p.file().length);
                }
                res.headers().set(HttpHeaderNames.ETAG, etag);
            }
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
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
