package io.fedge.comm;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.proto.Welcome;
import io.fedge.comm.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Hello/Welcome exchange over mutual TLS on a real loopback socket, with the codecs every
 * fedge endpoint has. The server answers a Hello with a Welcome naming the client id it read from
 * the client's certificate (not the one the Hello claims), so the answer proves the certificate
 * reached it. The test-side stand-in for a coordinator and a client, on a transport of the test's
 * choosing.
 */
final class MutualTlsLoopback implements AutoCloseable {
    /** What both ends saw. */
    record Exchange(Welcome welcome, String clientProtocol, String serverProtocol,
                    Class<?> clientEngine, Class<?> serverEngine,
                    Class<?> clientChannel, Class<?> serverChannel) {
    }

    private final Transport transport;
    private final EventLoopGroup group;
    private final Channel server;
    private final CompletableFuture<String> serverProtocol = new CompletableFuture<>();
    private final CompletableFuture<Class<?>> serverEngine = new CompletableFuture<>();
    private final CompletableFuture<Class<?>> serverChannel = new CompletableFuture<>();

    MutualTlsLoopback(Transport transport, SslContext serverTls) throws InterruptedException {
        this.transport = transport;
        this.group = transport.eventLoopGroup(1, "fedge-test-tls");
        this.server = new ServerBootstrap().group(group).channel(transport.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler tls = serverTls.newHandler(ch.alloc());
                        ch.pipeline().addLast("tls", tls);
                        FramingPipeline.addCodecs(ch.pipeline(), WireProtocol.DEFAULT_MAX_FRAME_BYTES);
                        ch.pipeline().addLast("welcome", new SimpleChannelInboundHandler<Envelope>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
                                if (!msg.hasHello()) {
                                    ctx.close();
                                    return;
                                }
                                serverProtocol.complete(tls.engine().getSession().getProtocol());
                                serverEngine.complete(tls.engine().getClass());
                                serverChannel.complete(ctx.channel().getClass());
                                String certified = TlsContexts.peerCommonName(tls).orElse("");
                                ctx.writeAndFlush(Envelope.newBuilder().setWelcome(Welcome.newBuilder()
                                        .setProtocolVersion(WireProtocol.VERSION).setClientId(certified)).build());
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /**
     * Connects with {@code clientTls} (checking that the server's certificate names "localhost"),
     * sends a Hello claiming {@code claimedId}, and waits up to 20 seconds for the Welcome.
     *
     * @throws java.util.concurrent.ExecutionException with the handshake's failure when TLS refuses
     */
    Exchange exchange(SslContext clientTls, String claimedId) throws Exception {
        CompletableFuture<Welcome> welcome = new CompletableFuture<>();
        SslHandler[] tls = new SslHandler[1];
        Channel ch = new Bootstrap().group(group).channel(transport.channelClass())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        tls[0] = clientTls.newHandler(c.alloc(), "localhost", address().getPort());
                        c.pipeline().addLast("tls", tls[0]);
                        FramingPipeline.addCodecs(c.pipeline(), WireProtocol.DEFAULT_MAX_FRAME_BYTES);
                        c.pipeline().addLast("client", new SimpleChannelInboundHandler<Envelope>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
                                welcome.complete(msg.getWelcome());
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                welcome.completeExceptionally(new IllegalStateException("closed before a Welcome"));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                welcome.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
                    }
                })
                .connect(address()).sync().channel();
        try {
            tls[0].handshakeFuture().addListener(f -> {
                if (f.isSuccess()) {
                    ch.writeAndFlush(Envelope.newBuilder().setHello(Hello.newBuilder()
                            .setProtocolVersion(WireProtocol.VERSION).setClientId(claimedId)).build());
                } else {
                    welcome.completeExceptionally(f.cause());
                }
            });
            Welcome w = welcome.get(20, TimeUnit.SECONDS);
            return new Exchange(w, tls[0].engine().getSession().getProtocol(),
                    serverProtocol.get(5, TimeUnit.SECONDS), tls[0].engine().getClass(),
                    serverEngine.get(5, TimeUnit.SECONDS), ch.getClass(), serverChannel.get(5, TimeUnit.SECONDS));
        } finally {
            ch.close().syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
