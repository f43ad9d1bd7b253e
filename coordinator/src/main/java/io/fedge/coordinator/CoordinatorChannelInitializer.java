package io.fedge.coordinator;

import io.fedge.comm.FramingPipeline;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;

/**
 * Builds a client connection's pipeline: traffic counting, TLS if configured, framing with the frame limit,
 * protobuf, idle detection, the per-connection message rate limit, then the session handler. Builds nothing else.
 */
final class CoordinatorChannelInitializer extends ChannelInitializer<Channel> {
    private final CoordinatorState state;

    CoordinatorChannelInitializer(CoordinatorState state) {
        this.state = state;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("traffic", state.traffic);
        if (state.tls != null) {
            p.addLast("tls", state.tls.newHandler(ch.alloc()));
        }
        FramingPipeline.addCodecs(p, state.limits.maxFrameBytes());
        p.addLast("idle", new IdleStateHandler(state.limits.idleMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast("rateLimit", new MessageRateLimiter(state.limits.messagesPerSecond(), state.limits.messageBurst(),
                System::nanoTime));
        p.addLast("session", new ClientSessionHandler(state));
    }
}
