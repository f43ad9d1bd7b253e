package io.fedge.client;

import io.fedge.comm.FramingPipeline;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Welcome;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A coordinator on a real loopback socket whose answers a test scripts: for each Hello, the
 * script gets the connection's number (1, 2, ...) and answers as it likes. Every message
 * received is queued for the test to inspect.
 */
final class FakeCoordinator implements AutoCloseable {
    /** What the coordinator does on the {@code connection}-th Hello. */
    interface Script {
        void onHello(ChannelHandlerContext ctx, int connection);
    }

    final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
    final AtomicInteger hellos = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    FakeCoordinator(SslContext tls, Script script) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        FramingPipeline.addCodecs(ch.pipeline(), WireProtocol.DEFAULT_MAX_FRAME_BYTES);
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<Envelope>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
                                received.add(msg);
                                if (msg.hasHello()) {
                                    script.onHello(ctx, hellos.incrementAndGet());
                                }
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

    static Envelope welcome() {
        return Envelope.newBuilder().setWelcome(Welcome.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                .setHeartbeatIntervalMs(60_000).setMaxChunkBytes(1 << 20).setModelDeltas(true)).build();
    }

    /** The next message the client sent of {@code body}, skipping others, within ten seconds. */
    Envelope next(Envelope.BodyCase body) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Envelope e = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (e != null && e.getBodyCase() == body) {
                return e;
            }
        }
        throw new AssertionError("the client sent no " + body);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
