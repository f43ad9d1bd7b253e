package io.fedge.coordinator;

import io.fedge.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;

/**
 * Limits how many bytes one connection may send: a token bucket of {@code burst} bytes refilled at
 * {@code perSecond}, counted on the wire (below TLS and framing, so junk and handshakes count
 * too). A client that empties it is sent {@code Error(RATE_LIMITED)} and disconnected, and the
 * bytes over the budget go no further. The defaults (32 MiB at once, 8 MiB/s) let an honest client
 * upload a model of tens of megabytes at any speed. Complements {@link MessageRateLimiter}, which
 * counts messages, so that a client cannot flood with few large frames either.
 *
 * <p>One instance per channel, used only on its event loop.
 */
final class InboundByteRateLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboundByteRateLimiter.class);

    private final TokenBucket bucket;
    private boolean tripped;

    InboundByteRateLimiter(long perSecond, long burst, LongSupplier nanoClock) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("need perSecond >= 1 and burst >= 1: " + perSecond + ", " + burst);
        }
        this.bucket = new TokenBucket(perSecond, burst, nanoClock);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (tripped) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!bucket.take(buf.readableBytes())) {
            tripped = true;
            buf.release();
            log.info("{} exceeded {} bytes/s (burst {} bytes); disconnecting with {}", ctx.channel().remoteAddress(),
                    (long) bucket.perSecond(), (long) bucket.burst(), ErrorCode.RATE_LIMITED);
            Refusals.refuse(ctx.channel(), ErrorCode.RATE_LIMITED, "more than " + (long) bucket.burst()
                    + " bytes at once or " + (long) bucket.perSecond() + " bytes per second");
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
