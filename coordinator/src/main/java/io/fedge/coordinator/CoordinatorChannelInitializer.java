package io.fedge.coordinator;

import io.fedge.comm.FramingPipeline;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;

/**
 * Builds a client connection's pipeline, after the connection cap admitted it (a refused one gets
 * no handler and costs no TLS work): traffic counting, the inbound byte rate limit, TLS if
 * configured with the handshake log and the revocation enforcer, framing with the frame limit,
 * protobuf, idle detection, outbound backpressure, the per-connection message rate limit, then the
 * session handler. Builds nothing else.
 */
final class CoordinatorChannelInitializer extends ChannelInitializer<Channel> {
    private final CoordinatorState state;

    CoordinatorChannelInitializer(CoordinatorState state) {
        this.state = state;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (!state.connections.admit(ch, state.tls == null)) {
            return;
        }
        ConnectionLimits limits = state.connectionLimits;
        ChannelPipeline p = ch.pipeline();
        p.addLast("traffic", state.traffic);
        p.addLast("byteRate", new InboundByteRateLimiter(limits.inboundBytesPerSecond(), limits.inboundByteBurst(),
                System::nanoTime));
        if (state.tls != null) {
            p.addLast("tls", state.tls.newHandler(ch.alloc()));
            p.addLast("tlsLog", state.handshakeLog);
            if (state.revocation != null) {
                p.addLast("revocation", state.revocation);
            }
        }
        FramingPipeline.addCodecs(p, state.limits.maxFrameBytes());
        p.addLast("refusals", state.refusedMessages);
        p.addLast("idle", new IdleStateHandler(state.limits.idleMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast("backpressure", new OutboundBackpressure(limits.slowReaderMillis(), limits.maxPendingOutboundBytes(),
                state.limits.idleMillis(), ctx -> state.registry.idOf(ctx.channel())
                .map(id -> id + " at " + ctx.channel().remoteAddress())
                .orElse("at " + ctx.channel().remoteAddress()), System::nanoTime));
        p.addLast("rateLimit", new MessageRateLimiter(state.limits.messagesPerSecond(), state.limits.messageBurst(),
                System::nanoTime));
        p.addLast("session", new ClientSessionHandler(state));
    }
}
