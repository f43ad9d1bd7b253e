package io.fedge.simulation.attack;

import io.fedge.client.ClientListener;
import io.fedge.comm.FramingPipeline;
import io.fedge.comm.Transports;
import io.fedge.comm.WireProtocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * An attacker that misbehaves at the transport level ({@code stall}, {@code noread}): a client
 * of its own, not a {@code FederatedClient}, speaking the real wire protocol over Netty with
 * {@link FramingPipeline} (and TLS with a client certificate when given one), so the coordinator
 * sees what such a device would send. What it does on a connection is {@link WireAttackerHandler}'s;
 * this class connects, and reconnects a second after a connection closes, so it misbehaves again
 * in every round, until the coordinator says the federation is over or it is closed.
 *
 * <p>Thread-safe.
 */
public final class WireAttacker implements AutoCloseable {
    /** A non-reading attacker's receive buffer: small, so what the coordinator sends piles up on its side. */
    static final int NOREAD_RECEIVE_BUFFER_BYTES = 4096;

    private final Attack.Kind kind;
    private final String clientId;
    private final InetSocketAddress coordinator;
    private final SslContext tls;
    private final long examples;
    private final int parameterCount;
    private final EventLoopGroup group;
    private final ClientListener listener;
    private volatile Channel channel;
    private volatile boolean closed;
    private volatile boolean finished;

    /**
     * @param kind {@link Attack.Kind#STALL} or {@link Attack.Kind#NOREAD}
     * @param tls the client's TLS context, or null for plain TCP
     * @param examples the examples its Hello declares and its update claims
     * @param parameterCount the model's parameters: the size of the update it announces
     */
    public WireAttacker(Attack.Kind kind, String clientId, InetSocketAddress coordinator, SslContext tls, long examples,
                        int parameterCount, EventLoopGroup group, ClientListener listener) {
        if (kind != Attack.Kind.STALL && kind != Attack.Kind.NOREAD) {
            throw new IllegalArgumentException("a wire attacker stalls or does not read, not " + kind);
        }
        if (examples < 1 || parameterCount < 1) {
            throw new IllegalArgumentException("need examples >= 1 and parameterCount >= 1: " + examples + ", "
                    + parameterCount);
        }
        this.kind = kind;
        this.clientId = Objects.requireNonNull(clientId, "clientId");
        this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
        this.tls = tls;
        this.examples = examples;
        this.parameterCount = parameterCount;
        this.group = Objects.requireNonNull(group, "group");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Connects; returns at once. */
    public WireAttacker start() {
        connect();
        return this;
    }

    private void connect() {
        if (closed || finished || group.isShuttingDown()) {
            return;
        }
        Bootstrap b = new Bootstrap().group(group).channel(Transports.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), coordinator.getHostString(),
                                    coordinator.getPort()));
                        }
                        FramingPipeline.addCodecs(ch.pipeline(), WireProtocol.DEFAULT_MAX_FRAME_BYTES);
                        ch.pipeline().addLast("attack", new WireAttackerHandler(WireAttacker.this));
                    }
                });
        if (kind == Attack.Kind.NOREAD) {
            b.option(ChannelOption.SO_RCVBUF, NOREAD_RECEIVE_BUFFER_BYTES);
        }
        b.connect(coordinator).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                channel = f.channel();
                f.channel().closeFuture().addListener(c -> reconnectLater());
                if (closed) {
                    f.channel().close();
                }
            } else {
                listener.joinFailed(clientId, String.valueOf(f.cause()));
                reconnectLater();
            }
        });
    }

    private void reconnectLater() {
        if (!closed && !finished && !group.isShuttingDown()) {
            group.schedule(this::connect, 1, TimeUnit.SECONDS);
        }
    }

    /** The coordinator ended the federation: no more connections. */
    void finished() {
        finished = true;
    }

    Attack.Kind kind() {
        return kind;
    }

    String clientId() {
        return clientId;
    }

    long examples() {
        return examples;
    }

    int parameterCount() {
        return parameterCount;
    }

    ClientListener listener() {
        return listener;
    }

    /** Closes the connection and stops reconnecting. */
    @Override
    public void close() {
        closed = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
