package io.fedge.client;

import io.fedge.comm.ProtocolErrors;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the coordinator that this client will not deliver a task, naming the task's round (and
 * the transfer at fault, if any) so the coordinator counts the client out of the round at once
 * instead of waiting for its deadline.
 */
final class TaskRefusal {
    private static final Logger log = LoggerFactory.getLogger(TaskRefusal.class);

    private TaskRefusal() {
    }

    /** Logs one line and sends the Error; safe from any thread. */
    static void send(ChannelHandlerContext ctx, String clientId, long round, long transferId, FedgeException e) {
        log.warn("client {}: giving up on the task of round {}: {}: {}", clientId, round, e.code(), e.getMessage());
        ctx.writeAndFlush(ProtocolErrors.toEnvelope(e, round, transferId));
    }

    /** As {@link #send(ChannelHandlerContext, String, long, long, FedgeException)} for a failure of this client itself. */
    static void sendInternal(ChannelHandlerContext ctx, String clientId, long round, RuntimeException e) {
        log.debug("client {}: task of round {} failed", clientId, round, e);
        send(ctx, clientId, round, 0, new FedgeException(ErrorCode.INTERNAL, e.toString()));
    }
}
