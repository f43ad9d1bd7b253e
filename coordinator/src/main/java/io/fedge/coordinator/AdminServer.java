package io.fedge.coordinator;

import io.fedge.comm.Transports;
import io.fedge.comm.tls.KeyPurposes;
import io.fedge.comm.tls.TlsContexts;
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
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The coordinator's admin endpoint: HTTPS that requires a client certificate of the federation's
 * authority and then serves only administrators ({@link KeyPurposes#ADMIN}); every other caller gets 403
 * and one log line naming the certificate. Routes are {@link AdminApi}'s, answered off the event
 * loop on one admin thread (they read and write the state database); {@code /api/events} is the
 * dashboard's server-sent event stream ({@link AdminEvents}). Requests are bounded (4 KiB line,
 * 8 KiB headers, 16 KiB body), idle connections closed after 30 s, at most
 * {@link #MAX_CONNECTIONS} open; every answer but the event stream closes its connection.
 */
final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    static final int MAX_CONNECTIONS = 64;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final AdminEndpoint endpoint;
    private final AdminApi api;
    private final AdminEvents events;
    private final TlsHandshakeLog handshakeLog = new TlsHandshakeLog("admin API: ");
    private final RateLimitedLog refusals = RateLimitedLog.perSecond(log);
    private final AtomicInteger open = new AtomicInteger();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedge-admin");
        t.setDaemon(true);
        return t;
    });
    private EventLoopGroup group;
    private Channel channel;

    AdminServer(AdminEndpoint endpoint, AdminApi api, AdminEvents events) {
        this.endpoint = endpoint;
        this.api = api;
        this.events = events;
    }

    InetSocketAddress start() throws InterruptedException {
        group = Transports.eventLoopGroup(1, "fedge-admin-http");
        channel = new ServerBootstrap().group(group).channel(Transports.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.incrementAndGet() > MAX_CONNECTIONS) {
                            open.decrementAndGet();
                            refusals.info("cap", "admin API: connection from " + ch.remoteAddress()
                                    + " refused: " + MAX_CONNECTIONS + " connections are open");
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        ch.pipeline().addLast("tls", endpoint.tls().newHandler(ch.alloc()))
                                .addLast("tlsLog", handshakeLog)
                                .addLast("timeout", new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(16 * 1024))
                                .addLast(new Handler());
                    }
                }).bind(endpoint.bind()).sync().channel();
        group.scheduleAtFixedRate(events::tick, 1, 1, TimeUnit.SECONDS);
        InetSocketAddress address = (InetSocketAddress) channel.localAddress();
        log.info("admin API and dashboard at https://{}:{}/ (administrators' certificates only)",
                address.getHostString(), address.getPort());
        return address;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                respond(ctx, AdminApi.Response.error(400, "malformed request"));
                return;
            }
            String refused = refusal(ctx);
            if (refused != null) {
                refusals.info("role:" + refused, "admin API: refused " + refused + " from "
                        + ctx.channel().remoteAddress() + ": not an administrator's certificate (issue one with "
                        + "'fedge certs admin')");
                respond(ctx, AdminApi.Response.error(403, "this certificate is not an administrator's"));
                return;
            }
            java.util.Optional<QueryStringDecoder> decoded = AdminApi.decode(req.uri());
            if (decoded.isEmpty()) {
                respond(ctx, AdminApi.Response.error(400, "malformed request URI"));
                return;
            }
            QueryStringDecoder uri = decoded.get();
            String method = req.method().name();
            if (method.equals("GET") && uri.path().equals("/api/events")) {
                stream(ctx);
                return;
            }
            boolean csrf = "1".equals(req.headers().get(AdminApi.CSRF_HEADER));
            try {
                worker.execute(() -> {
                    AdminApi.Response r;
                    try {
                        r = api.handle(method, uri.path(), uri.parameters(), csrf);
                    } catch (RuntimeException e) {
                        log.error("admin API: {} {} failed", method, uri.path(), e);
                        r = AdminApi.Response.error(500, "internal error: " + e.getMessage());
                    }
                    respond(ctx, r);
                });
            } catch (RejectedExecutionException e) {
                respond(ctx, AdminApi.Response.error(503, "the coordinator is shutting down"));
            }
        }

        /** Null for an administrator's certificate, else who the certificate names. */
        private String refusal(ChannelHandlerContext ctx) {
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            try {
                Certificate[] chain = tls.engine().getSession().getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate cert) {
                    return KeyPurposes.carries(cert, KeyPurposes.ADMIN) ? null
                            : "'" + TlsContexts.commonName(cert).orElse(cert.getSubjectX500Principal().getName()) + "'";
                }
            } catch (SSLPeerUnverifiedException e) {
                return "a peer without a certificate";
            }
            return "a peer without a certificate";
        }

        private void stream(ChannelHandlerContext ctx) {
            HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            headers(res.headers()).set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            ctx.pipeline().remove("timeout"); // a stream is read by the server, not written by the client
            if (!events.subscribe(ctx.channel())) {
                respond(ctx, AdminApi.Response.error(503, "too many event streams are open ("
                        + AdminEvents.MAX_SUBSCRIBERS + ")"));
                return;
            }
            ctx.writeAndFlush(res);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("admin API: connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private static void respond(ChannelHandlerContext ctx, AdminApi.Response r) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        headers(res.headers()).set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    private static HttpHeaders headers(HttpHeaders h) {
        return h.set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff")
                .set("X-Frame-Options", "DENY")
                .set("Referrer-Policy", "no-referrer")
                .set("Content-Security-Policy", CSP);
    }

    @Override
    public void close() {
        worker.shutdownNow();
        events.close();
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
