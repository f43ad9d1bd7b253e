package io.fedge.coordinator;

import io.fedge.comm.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket of the fedge protocol and its event loops, with every connection's
 * pipeline built by {@link CoordinatorChannelInitializer}: what a coordinator and a gateway's
 * {@link SiteServer} share.
 */
final class ProtocolServer {
    private static final Logger log = LoggerFactory.getLogger(ProtocolServer.class);

    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Channel serverChannel;

    private ProtocolServer(EventLoopGroup boss, EventLoopGroup workers, Channel channel) {
        this.bossGroup = boss;
        this.workerGroup = workers;
        this.serverChannel = channel;
    }

    /**
     * Binds {@code address} and serves connections with {@code state}'s pipeline.
     *
     * @param role what is listening, for the log line ("coordinator", "gateway g1")
     */
    static ProtocolServer bind(CoordinatorState state, InetSocketAddress address, int ioThreads, String role)
            throws InterruptedException {
        EventLoopGroup boss = Transports.eventLoopGroup(1, "fedge-accept");
        EventLoopGroup workers = Transports.eventLoopGroup(ioThreads, "fedge-io");
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transports.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(state.connectionLimits.writeBufferLowBytes(),
                                state.connectionLimits.writeBufferHighBytes()))
                .childHandler(new CoordinatorChannelInitializer(state));
        Channel channel;
        try {
            channel = bootstrap.bind(address).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        log.info("{} listening on {} ({})", role, channel.localAddress(), Transports.usesEpoll() ? "epoll" : "nio");
        return new ProtocolServer(boss, workers, channel);
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Stops accepting, then stops the event loops (what they still write gets two seconds). */
    void close() {
        serverChannel.close().syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    /** Waits until the event loops have ended. */
    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        return workerGroup.awaitTermination(timeout, unit)
                && bossGroup.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
