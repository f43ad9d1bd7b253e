package io.fedge.coordinator;

import io.fedge.comm.ProtocolErrors;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;

/**
 * Limits how many messages one connection may send: a token bucket of {@code burst} messages
 * refilled at {@code perSecond}. A client that empties it is sent {@code Error(RATE_LIMITED)} and
 * disconnected; an honest client (a Hello, a heartbeat every few seconds, one announced update of
 * a few dozen chunks per round) never comes near the defaults. Sits after the protobuf decoder,
 * so it counts whole messages, and before the session handler, so a flood never reaches it.
 *
 * <p>One instance per channel, used only on its event loop.
 */
final class MessageRateLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(MessageRateLimiter.class);

    private final TokenBucket bucket;
    private boolean tripped;

    MessageRateLimiter(double perSecond, int burst, LongSupplier nanoClock) {
        this.bucket = new TokenBucket(perSecond, burst, nanoClock);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (tripped) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!bucket.take(1)) {
            tripped = true;
            ReferenceCountUtil.release(msg);
            log.info("{} exceeded {} messages/s (burst {}); disconnecting", ctx.channel().remoteAddress(),
                    bucket.perSecond(), (long) bucket.burst());
            ctx.writeAndFlush(ProtocolErrors.toEnvelope(new FedgeException(ErrorCode.RATE_LIMITED,
                    "more than " + (long) bucket.burst() + " messages at once or " + bucket.perSecond() + " per second")))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
