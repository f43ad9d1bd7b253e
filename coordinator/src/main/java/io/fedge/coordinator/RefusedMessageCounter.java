package io.fedge.coordinator;

import io.fedge.comm.proto.Envelope;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Counts every {@code Error} envelope written to a client, by its code, into the
 * {@link CoordinatorMetrics}. Shared by every connection; sits on the message side of the
 * protobuf codec, so it sees every error the session and the protections send.
 */
@ChannelHandler.Sharable
final class RefusedMessageCounter extends ChannelOutboundHandlerAdapter {
    private final CoordinatorMetrics metrics;

    RefusedMessageCounter(CoordinatorMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof Envelope e && e.hasError()) {
            metrics.refusedMessage(io.fedge.comm.ProtocolErrors.fromWire(e.getError().getCode()).name());
        }
        ctx.write(msg, promise);
    }
}
