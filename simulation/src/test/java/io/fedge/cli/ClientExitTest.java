package io.fedge.cli;

import io.fedge.comm.FramingPipeline;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.ByeCode;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Welcome;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fedge client} exits 0 when the federation finished and 1 with one line naming the reason
 * otherwise; {@code fedge swarm} exits when every client ended, counting the endings by reason.
 */
class ClientExitTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @AfterEach
    void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** A coordinator that welcomes every client and says goodbye: REFUSED to {@code refused}, FEDERATION_FINISHED to others. */
    private InetSocketAddress coordinator(String refused) throws InterruptedException {
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FramingPipeline.addCodecs(ch.pipeline(), WireProtocol.DEFAULT_MAX_FRAME_BYTES);
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<Envelope>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
                                if (!msg.hasHello()) {
                                    return;
                                }
                                boolean refuse = msg.getHello().getClientId().equals(refused);
                                ctx.writeAndFlush(Envelope.newBuilder().setWelcome(Welcome.newBuilder()
                                        .setProtocolVersion(WireProtocol.VERSION).setHeartbeatIntervalMs(60_000)).build());
                                ctx.writeAndFlush(Envelope.newBuilder().setBye(Bye.newBuilder()
                                        .setCode(refuse ? ByeCode.REFUSED : ByeCode.FEDERATION_FINISHED)
                                        .setReason(refuse ? "banned" : "done")).build())
                                        .addListener(ChannelFutureListener.CLOSE);
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        return (InetSocketAddress) server.localAddress();
    }

    @Test
    void aFinishedFederationExitsZero() throws Exception {
        InetSocketAddress c = coordinator("nobody");
        CliRun r = run("client", "--index", "0", "--clients", "100", "--insecure",
                "--coordinator", "127.0.0.1:" + c.getPort());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("client-000: federation over after 0 updates"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void aRefusedClientExitsOneWithTheReason() throws Exception {
        InetSocketAddress c = coordinator("client-001");
        CliRun r = run("client", "--index", "1", "--clients", "100", "--insecure",
                "--coordinator", "127.0.0.1:" + c.getPort());
        assertEquals(1, r.exit());
        assertEquals("fedge client: client-001: the coordinator refuses this client: banned", r.err().strip());
    }

    @Test
    void anUnreachableCoordinatorIsGivenUpOn() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CliRun r = run("client", "--index", "0", "--clients", "100", "--insecure",
                "--coordinator", "127.0.0.1:" + port, "--give-up-after", "1s");
        assertEquals(1, r.exit());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("fedge client: client-000: coordinator 127.0.0.1:" + port
                + " unreachable for 1s ("), lines[0]);
    }

    @Test
    void theSwarmCountsHowItsClientsEnded() throws Exception {
        InetSocketAddress c = coordinator("swarm-0001");
        CliRun r = run("swarm", "--clients", "3", "--examples", "10", "--insecure",
                "--coordinator", "127.0.0.1:" + c.getPort());
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.out().contains("swarm: 3 clients ended: 2 finished, 1 refused, 0 updates sent"), r.out());
        assertEquals("swarm: 1 x refused: the coordinator refuses this client: banned", r.err().strip());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("swarm: connected peak [1-3] of 3 clients, 0 rounds seen, "
                + "peak heap \\d+ MiB \\(live after GC \\d+ MiB\\), peak RSS \\d+ MiB")), r.out());
    }
}
