package io.fedge.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.fedge.comm.proto.Envelope;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProtocolErrorsTest {
    @Test
    void everyCodeRoundTripsThroughTheWireUnderItsOwnName() {
        for (ErrorCode code : ErrorCode.values()) {
            io.fedge.comm.proto.ErrorCode wire = ProtocolErrors.toWire(code);
            assertEquals(code.name(), wire.name());
            assertEquals(code, ProtocolErrors.fromWire(wire));
        }
    }

    @Test
    void wireNumbersAreTheOnesInTheProtoFile() {
        // From fedge.proto: MALFORMED = 1 ... INTERNAL = 18, in the order of the Java enum.
        assertEquals(1, ProtocolErrors.toWire(ErrorCode.MALFORMED).getNumber());
        assertEquals(12, ProtocolErrors.toWire(ErrorCode.DIGEST_MISMATCH).getNumber());
        assertEquals(18, ProtocolErrors.toWire(ErrorCode.INTERNAL).getNumber());
        for (ErrorCode code : ErrorCode.values()) {
            assertEquals(code.ordinal() + 1, ProtocolErrors.toWire(code).getNumber(), code.name());
        }
    }

    @Test
    void everyWireCodeIsKnownToThisBuild() {
        Set<ErrorCode> seen = EnumSet.noneOf(ErrorCode.class);
        for (io.fedge.comm.proto.ErrorCode wire : io.fedge.comm.proto.ErrorCode.values()) {
            if (wire == io.fedge.comm.proto.ErrorCode.ERROR_CODE_UNSPECIFIED
                    || wire == io.fedge.comm.proto.ErrorCode.UNRECOGNIZED) {
                continue;
            }
            ErrorCode code = ProtocolErrors.fromWire(wire);
            assertEquals(wire.name(), code.name());
            seen.add(code);
        }
        assertEquals(EnumSet.allOf(ErrorCode.class), seen);
    }

    @Test
    void unknownWireCodesBecomeInternal() {
        assertEquals(ErrorCode.INTERNAL, ProtocolErrors.fromWire(io.fedge.comm.proto.ErrorCode.ERROR_CODE_UNSPECIFIED));
        assertEquals(ErrorCode.INTERNAL, ProtocolErrors.fromWire(io.fedge.comm.proto.ErrorCode.UNRECOGNIZED));
    }

    @Test
    void envelopeCarriesCodeMessageRoundAndTransfer() {
        FedgeException e = new FedgeException(ErrorCode.STALE_MODEL, "model 3 is stale");
        Envelope env = ProtocolErrors.toEnvelope(e, 9, 1234);
        assertEquals(io.fedge.comm.proto.ErrorCode.STALE_MODEL, env.getError().getCode());
        assertEquals("model 3 is stale", env.getError().getMessage());
        assertEquals(9, env.getError().getRound());
        assertEquals(1234, env.getError().getTransferId());

        FedgeException back = ProtocolErrors.fromEnvelope(env.getError());
        assertEquals(ErrorCode.STALE_MODEL, back.code());
        assertEquals("model 3 is stale", back.getMessage());
    }

    @Test
    void longMessagesAreCutTo512Characters() {
        String longMessage = "x".repeat(600);
        Envelope env = ProtocolErrors.toEnvelope(new FedgeException(ErrorCode.MALFORMED, longMessage));
        assertEquals("x".repeat(512), env.getError().getMessage());
        assertEquals(0, env.getError().getRound());
    }

    @Test
    void classifiesPipelineFailures() {
        FedgeException fe = new FedgeException(ErrorCode.NOT_REGISTERED, "hello first");
        assertSame(fe, ProtocolErrors.classify(fe));
        assertSame(fe, ProtocolErrors.classify(new DecoderException(fe)));
        assertEquals(ErrorCode.FRAME_TOO_LARGE, ProtocolErrors.classify(new TooLongFrameException("big")).code());
        assertEquals(ErrorCode.MALFORMED, ProtocolErrors.classify(new CorruptedFrameException("bad")).code());
        assertEquals(ErrorCode.MALFORMED,
                ProtocolErrors.classify(new DecoderException(new IllegalStateException("parse"))).code());
        assertEquals(ErrorCode.INTERNAL, ProtocolErrors.classify(new IllegalStateException("bug")).code());
    }
}
