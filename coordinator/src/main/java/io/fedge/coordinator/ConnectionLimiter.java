package io.fedge.coordinator;

import io.fedge.comm.ProtocolErrors;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Caps the client connections open at once and keeps the open ones. The initializer asks
 * {@link #admit} before it builds a pipeline: a connection over the cap gets no handler at all,
 * so it costs no TLS work; on plain TCP it is sent one framed {@code Error(OVERLOADED)}, under TLS
 * it is closed at once (it cannot read a message before a handshake). Refusals are logged once a
 * second with a count. Thread-safe.
 */
final class ConnectionLimiter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final ChannelGroup live = new DefaultChannelGroup("fedge-clients", GlobalEventExecutor.INSTANCE);
    private final RateLimitedLog refusals = RateLimitedLog.perSecond(log);

    ConnectionLimiter(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be positive: " + max);
        }
        this.max = max;
    }

    /**
     * Counts {@code ch} in if there is room, until it closes; refuses and closes it otherwise.
     *
     * @param plainText whether the connection is plain TCP, so that it can be told why
     * @return whether it was admitted
     */
    boolean admit(Channel ch, boolean plainText) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            refused.incrementAndGet();
            refusals.info("overloaded", "refused connection from " + ch.remoteAddress() + ": " + max
                    + " connections open (maxConnections); " + ErrorCode.OVERLOADED);
            if (plainText) {
                ch.writeAndFlush(frame(ProtocolErrors.toEnvelope(new FedgeException(ErrorCode.OVERLOADED,
                        "the coordinator has " + max + " connections open; try again later")).toByteArray()))
                        .addListener(ChannelFutureListener.CLOSE);
            } else {
                ch.close();
            }
            return false;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        live.add(ch);
        return true;
    }

    /** A length-prefixed frame, as {@link io.fedge.comm.FramingPipeline} writes it, for a pipeline without codecs. */
    private static ByteBuf frame(byte[] body) {
        return Unpooled.buffer(4 + body.length).writeInt(body.length).writeBytes(body);
    }

    /** Connections admitted and not yet closed. */
    int open() {
        return open.get();
    }

    /** Connections refused since the coordinator started. */
    long refused() {
        return refused.get();
    }

    /** The admitted connections that are open; closed ones leave by themselves. */
    ChannelGroup live() {
        return live;
    }
}
