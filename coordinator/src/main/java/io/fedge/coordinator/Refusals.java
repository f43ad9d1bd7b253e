package io.fedge.coordinator;

import io.fedge.comm.ProtocolErrors;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.ByeCode;
import io.fedge.comm.proto.Envelope;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.ssl.SslHandler;

/**
 * Ends a connection on the coordinator's initiative from any thread: an {@code Error} (and, for a
 * client that must not come back, a {@code Bye(REFUSED)}) written through the whole pipeline, then
 * the close. A TLS connection whose handshake has not finished cannot carry a message and is closed
 * at once.
 */
final class Refusals {
    private Refusals() {
    }

    /** Sends {@code Error(code, message)} and closes. */
    static void refuse(Channel ch, ErrorCode code, String message) {
        send(ch, ProtocolErrors.toEnvelope(new FedgeException(code, message)), null);
    }

    /** Sends {@code Error(code, message)}, then {@code Bye(REFUSED)}: this client will not be taken whatever it retries. */
    static void refuseForGood(Channel ch, ErrorCode code, String message) {
        send(ch, ProtocolErrors.toEnvelope(new FedgeException(code, message)),
                Envelope.newBuilder().setBye(Bye.newBuilder().setCode(ByeCode.REFUSED).setReason(message)).build());
    }

    private static void send(Channel ch, Envelope error, Envelope bye) {
        if (!ch.isActive()) {
            return;
        }
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls != null && !tls.handshakeFuture().isSuccess()) {
            ch.close();
            return;
        }
        if (bye == null) {
            ch.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.write(error);
            ch.writeAndFlush(bye).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
