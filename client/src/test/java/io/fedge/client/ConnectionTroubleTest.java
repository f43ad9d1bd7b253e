package io.fedge.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Why a client cannot join is reported once per distinct reason, then once per period with the attempt count. */
class ConnectionTroubleTest {
    private final AtomicLong now = new AtomicLong();
    private final ConnectionTrouble trouble = new ConnectionTrouble(Duration.ofSeconds(60), now::get);

    @Test
    void aReasonIsReportedOnceThenPeriodicallyWithTheAttempts() {
        assertEquals("cannot join the coordinator: Connection refused", trouble.failed("Connection refused"));
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertNull(trouble.failed("Connection refused"));
        now.addAndGet(Duration.ofSeconds(49).toNanos());
        assertNull(trouble.failed("Connection refused"));
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertEquals("still cannot join the coordinator after 4 attempts: Connection refused",
                trouble.failed("Connection refused"));
        assertNull(trouble.failed("Connection refused"));
        assertEquals(5, trouble.attempts());
    }

    @Test
    void aNewReasonIsNewsAndSoIsTroubleAfterJoining() {
        trouble.failed("Connection refused");
        assertEquals("cannot join the coordinator: the coordinator answered OVERLOADED: full",
                trouble.failed("the coordinator answered OVERLOADED: full"));
        assertEquals("cannot join the coordinator: Connection refused", trouble.failed("Connection refused"));
        trouble.joined();
        assertEquals(0, trouble.attempts());
        assertNull(trouble.lastReason());
        assertEquals("cannot join the coordinator: Connection refused", trouble.failed("Connection refused"));
        assertEquals("Connection refused", trouble.lastReason());
    }
}
