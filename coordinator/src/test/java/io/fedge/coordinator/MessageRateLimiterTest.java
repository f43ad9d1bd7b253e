package io.fedge.coordinator;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.Heartbeat;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageRateLimiterTest {
    private final AtomicLong nanos = new AtomicLong();

    private static Envelope heartbeat(int i) {
        return Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setUnixMs(i)).build();
    }

    @Test
    void aBurstPassesAndTheNextMessageDisconnectsWithRateLimited() {
        EmbeddedChannel ch = new EmbeddedChannel(new MessageRateLimiter(10, 5, nanos::get));
        for (int i = 0; i < 5; i++) {
            ch.writeInbound(heartbeat(i));
            assertEquals(heartbeat(i), ch.readInbound(), "message " + i + " passes");
        }
        ch.writeInbound(heartbeat(5));
        assertNull(ch.readInbound(), "the sixth message at the same instant is dropped");
        Envelope error = ch.readOutbound();
        assertEquals(ErrorCode.RATE_LIMITED, error.getError().getCode());
        assertFalse(ch.isActive(), "and the connection is closed");
    }

    @Test
    void theBucketRefillsAtTheConfiguredRate() {
        EmbeddedChannel ch = new EmbeddedChannel(new MessageRateLimiter(10, 5, nanos::get));
        for (int i = 0; i < 5; i++) {
            ch.writeInbound(heartbeat(i));
        }
        // 10 per second: after 0.3 s three more messages are allowed, not four.
        nanos.addAndGet(300_000_000L);
        for (int i = 0; i < 3; i++) {
            ch.writeInbound(heartbeat(10 + i));
        }
        assertTrue(ch.isActive());
        assertEquals(8, ch.inboundMessages().size());
        ch.writeInbound(heartbeat(99));
        assertFalse(ch.isActive());
        assertEquals(8, ch.inboundMessages().size());
        ch.finishAndReleaseAll();
    }

    @Test
    void aSteadyClientWithinTheRateIsNeverCut() {
        EmbeddedChannel ch = new EmbeddedChannel(new MessageRateLimiter(10, 5, nanos::get));
        for (int i = 0; i < 1_000; i++) {
            nanos.addAndGet(100_000_000L); // exactly 10 per second
            ch.writeInbound(heartbeat(i));
        }
        assertTrue(ch.isActive());
        assertEquals(1_000, ch.inboundMessages().size());
        ch.finishAndReleaseAll();
    }

    @Test
    void nonsensicalLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MessageRateLimiter(0, 5, nanos::get));
        assertThrows(IllegalArgumentException.class, () -> new MessageRateLimiter(10, 0, nanos::get));
    }
}
