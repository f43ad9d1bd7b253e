package io.fedge.comm;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Error;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;

/** Converts between fedge's error codes, exceptions from the pipeline, and wire {@code Error}s. */
public final class ProtocolErrors {
    private static final int MAX_MESSAGE_CHARS = 512;

    private ProtocolErrors() {
    }

    /** The wire code with the same name as {@code code}. */
    public static io.fedge.comm.proto.ErrorCode toWire(ErrorCode code) {
        return io.fedge.comm.proto.ErrorCode.valueOf(code.name());
    }

    /** The fedge code with the same name as {@code code}, or {@link ErrorCode#INTERNAL} for codes this build does not know. */
    public static ErrorCode fromWire(io.fedge.comm.proto.ErrorCode code) {
        try {
            return ErrorCode.valueOf(code.name());
        } catch (IllegalArgumentException e) {
            return ErrorCode.INTERNAL;
        }
    }

    /**
     * Classifies a failure raised while handling a channel's input: frames over the limit,
     * corrupt frames and unparseable protobuf become {@link FedgeException}s with the matching
     * code; anything else is {@link ErrorCode#INTERNAL}.
     */
    public static FedgeException classify(Throwable cause) {
        if (cause instanceof FedgeException fe) {
            return fe;
        }
        if (cause instanceof TooLongFrameException) {
            return new FedgeException(ErrorCode.FRAME_TOO_LARGE, cause.getMessage(), cause);
        }
        if (cause instanceof CorruptedFrameException || cause instanceof DecoderException) {
            Throwable root = cause.getCause() != null ? cause.getCause() : cause;
            if (root instanceof FedgeException fe) {
                return fe;
            }
            return new FedgeException(ErrorCode.MALFORMED, "malformed frame: " + root.getMessage(), cause);
        }
        return new FedgeException(ErrorCode.INTERNAL, String.valueOf(cause), cause);
    }

    /** An envelope carrying {@code e} to the peer. */
    public static Envelope toEnvelope(FedgeException e, long round, long transferId) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.length() > MAX_MESSAGE_CHARS) {
            message = message.substring(0, MAX_MESSAGE_CHARS);
        }
        return Envelope.newBuilder().setError(Error.newBuilder()
                .setCode(toWire(e.code()))
                .setMessage(message)
                .setRound(round)
                .setTransferId(transferId)).build();
    }

    /** An envelope carrying {@code e} to the peer, tied to no round or transfer. */
    public static Envelope toEnvelope(FedgeException e) {
        return toEnvelope(e, 0, 0);
    }

    /** The exception a received {@code Error} stands for. */
    public static FedgeException fromEnvelope(Error error) {
        return new FedgeException(fromWire(error.getCode()), error.getMessage());
    }
}
