package io.fedge.coordinator;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The byte budget on a fake clock, exactly; and the one-line-a-second log that the refusals use. */
class InboundByteRateLimiterTest {
    private final AtomicLong nanos = new AtomicLong();


    private static ByteBuf bytes(int n) {
        return Unpooled.wrappedBuffer(new byte[n]);
    }

    @Test
    void theBurstPassesAndOneByteMoreDisconnectsWithRateLimited() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new InboundByteRateLimiter(1_000, 4_000, nanos::get));
        ch.writeInbound(bytes(4_000));
        ByteBuf passed = ch.readInbound();
        assertEquals(4_000, passed.readableBytes());
        passed.release();
        assertTrue(ch.isActive());
        ch.writeInbound(bytes(1));
        assertNull(ch.readInbound(), "the byte over the budget goes no further");
        assertFalse(ch.isActive(), "and the connection is closed");
        Envelope error = ch.readOutbound();
        assertEquals(ErrorCode.RATE_LIMITED, error.getError().getCode());
    }

    @Test
    void theBudgetRefillsAtTheConfiguredRate() {
        EmbeddedChannel ch = new EmbeddedChannel(new InboundByteRateLimiter(1_000, 4_000, nanos::get));
        ch.writeInbound(bytes(4_000));
        nanos.addAndGet(500_000_000L); // 0.5 s at 1,000 bytes/s: 500 bytes
        ch.writeInbound(bytes(500));
        assertTrue(ch.isActive());
        ch.writeInbound(bytes(1));
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void aSteadySenderAtTheRateIsNeverCut() {
        EmbeddedChannel ch = new EmbeddedChannel(new InboundByteRateLimiter(1_000, 4_000, nanos::get));
        for (int i = 0; i < 10_000; i++) {
            nanos.addAndGet(100_000_000L);
            ch.writeInbound(bytes(100)); // exactly 1,000 bytes/s
            ((ByteBuf) ch.readInbound()).release();
        }
        assertTrue(ch.isActive());
    }

    @Test
    void aRateLimitedLogWritesOneLinePerKeyPerIntervalAndCountsTheRest() {
        RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(InboundByteRateLimiterTest.class),
                1_000_000_000L, nanos::get);
        assertTrue(log.info("a", "first"));
        for (int i = 0; i < 5; i++) {
            assertFalse(log.info("a", "again"));
        }
        assertTrue(log.info("b", "another reason is its own line"));
        assertEquals(5, log.suppressed("a"));
        nanos.addAndGet(999_999_999L);
        assertFalse(log.info("a", "still within the second"));
        nanos.addAndGet(1);
        assertTrue(log.info("a", "a second later"));
        assertEquals(0, log.suppressed("a"));
    }
}
