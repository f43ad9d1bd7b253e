package io.fedge.coordinator;

import com.google.protobuf.MessageLite;
import io.fedge.comm.WireProtocol;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Bounds what one connection makes the coordinator hold for it, in three ways.
 *
 * <ul>
 *   <li>While the connection is unwritable (more than the high watermark queued because its peer
 *       does not read), the coordinator stops reading from it ({@code autoRead} off) and starts
 *       again once it is writable: a client that sends requests without reading the replies
 *       cannot make the coordinator queue replies without bound. Reader-idle events that fall into
 *       such a pause (or within one idle period after it) are dropped, since the silence is the
 *       coordinator's own.</li>
 *   <li>A connection that stays unwritable for longer than {@code slowReaderMillis} is closed.</li>
 *   <li>A write that would take the bytes queued for the connection over {@code maxPendingBytes}
 *       is refused and the connection closed. A model broadcast queues the whole model at once,
 *       so the cap must exceed the largest model download (the default, 64 MiB, is a few
 *       models).</li>
 * </ul>
 *
 * A connection cut for either reason is sent nothing more (it does not read) and is logged in one
 * line with {@code SLOW_CONSUMER}. Sits above the idle handler and below everything that writes,
 * so it sees every message on its way out.
 *
 * <p>One instance per channel, used only on its event loop.
 */
final class OutboundBackpressure extends ChannelDuplexHandler {
    /** Why a connection was cut as a slow consumer. */
    enum Cut {
        /** It stayed unwritable for longer than the slow-reader timeout. */
        SLOW_READER,
        /** A write would have taken its queue over the cap. */
        OVER_CAP
    }

    private static final Logger log = LoggerFactory.getLogger(OutboundBackpressure.class);
    /** On a channel this handler cut: why, one line starting with {@code SLOW_CONSUMER}, for the round's record. */
    static final io.netty.util.AttributeKey<String> CUT_BECAUSE = io.netty.util.AttributeKey.valueOf("fedge.cutBecause");

    private final long slowReaderMillis;
    private final long maxPendingBytes;
    private final long idleNanos;
    private final Function<ChannelHandlerContext, String> peerName;
    private final LongSupplier nanoClock;
    /** When the connection became unwritable, or -1 while it is writable. */
    private volatile long unwritableSince = -1;
    private long resumedAt = Long.MIN_VALUE;
    private ScheduledFuture<?> slowReaderTimer;
    /** Why the connection was cut, or null while it is not. */
    private volatile Cut cut;
    private volatile long pauses;
    private volatile long peakPendingBytes;
    private volatile long refusedWrites;

    OutboundBackpressure(long slowReaderMillis, long maxPendingBytes, long idleMillis,
                         Function<ChannelHandlerContext, String> peerName, LongSupplier nanoClock) {
        if (slowReaderMillis < 1 || maxPendingBytes < 1 || idleMillis < 1) {
            throw new IllegalArgumentException("need positive limits: " + slowReaderMillis + " ms, " + maxPendingBytes
                    + " bytes, idle " + idleMillis + " ms");
        }
        this.slowReaderMillis = slowReaderMillis;
        this.maxPendingBytes = maxPendingBytes;
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.peerName = peerName;
        this.nanoClock = nanoClock;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            resume(ctx);
        } else {
            pause(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void pause(ChannelHandlerContext ctx) {
        if (unwritableSince >= 0 || cut != null) {
            return;
        }
        unwritableSince = nanoClock.getAsLong();
        pauses++;
        ctx.channel().config().setAutoRead(false);
        slowReaderTimer = ctx.executor().schedule(() -> {
            if (unwritableSince >= 0 && ctx.channel().isActive()) {
                cut(ctx, Cut.SLOW_READER, "unwritable for longer than " + slowReaderMillis + " ms");
            }
        }, slowReaderMillis, TimeUnit.MILLISECONDS);
    }

    private void resume(ChannelHandlerContext ctx) {
        if (unwritableSince < 0 || cut != null) {
            return;
        }
        unwritableSince = -1;
        resumedAt = nanoClock.getAsLong();
        cancelTimer();
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (cut != null) {
            refuseWrite(msg, promise);
            return;
        }
        long pending = pendingBytes(ctx) + sizeOf(msg);
        if (pending > maxPendingBytes) {
            refuseWrite(msg, promise);
            cut(ctx, Cut.OVER_CAP, "would queue " + pending + " bytes, over the cap of " + maxPendingBytes);
            return;
        }
        peakPendingBytes = Math.max(peakPendingBytes, pending);
        ctx.write(msg, promise);
    }

    private void refuseWrite(Object msg, ChannelPromise promise) {
        refusedWrites++;
        ReferenceCountUtil.release(msg);
        promise.tryFailure(new FedgeException(ErrorCode.SLOW_CONSUMER, "connection closed: its peer does not read"));
    }

    private void cut(ChannelHandlerContext ctx, Cut reason, String why) {
        if (cut != null) {
            return;
        }
        cut = reason;
        cancelTimer();
        long since = unwritableSince < 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - unwritableSince);
        log.info("{}: client {} does not read: {} bytes pending for {} ms ({}); closing", ErrorCode.SLOW_CONSUMER,
                peerName.apply(ctx), pendingBytes(ctx), since, why);
        ctx.channel().attr(CUT_BECAUSE).set(ErrorCode.SLOW_CONSUMER + ": does not read (" + why + ")");
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE
                && (unwritableSince >= 0 || nanoClock.getAsLong() - resumedAt < idleNanos)) {
            return; // we stopped reading, not the client sending
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    private void cancelTimer() {
        if (slowReaderTimer != null) {
            slowReaderTimer.cancel(false);
            slowReaderTimer = null;
        }
    }

    private static long pendingBytes(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    private static long sizeOf(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        if (msg instanceof MessageLite m) {
            return m.getSerializedSize() + WireProtocol.LENGTH_FIELD_BYTES;
        }
        return 0;
    }

    /** How many times reading was paused because the connection was unwritable. */
    long pauses() {
        return pauses;
    }

    /** Whether reading is paused now. */
    boolean paused() {
        return unwritableSince >= 0;
    }

    /** The most bytes ever queued for the connection, this handler's writes included. */
    long peakPendingBytes() {
        return peakPendingBytes;
    }

    /** Why the connection was cut as a slow consumer, or null if it was not. */
    Cut cut() {
        return cut;
    }

    /** Writes refused because the connection was cut or would have gone over the cap. */
    long refusedWrites() {
        return refusedWrites;
    }
}
