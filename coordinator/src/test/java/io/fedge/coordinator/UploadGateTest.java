package io.fedge.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UploadGateTest {
    /** Order in which tickets were admitted, by name. */
    private final List<String> admissions = new ArrayList<>();

    private final class Counted {
        final AtomicInteger admitted = new AtomicInteger();
        final UploadGate.Ticket ticket;

        Counted(String name, long bytes) {
            ticket = new UploadGate.Ticket(bytes, () -> {
                admitted.incrementAndGet();
                admissions.add(name);
            });
        }

        int admitted() {
            return admitted.get();
        }
    }

    @Test
    void ticketsWaitInArrivalOrderUntilTheBudgetFrees() {
        UploadGate gate = new UploadGate(100);
        Counted first = new Counted("first", 60);
        Counted second = new Counted("second", 60);
        Counted third = new Counted("third", 30);

        gate.request(first.ticket);
        assertEquals(1, first.admitted());
        assertEquals(60, gate.bytesInUse());

        gate.request(second.ticket); // 60 + 60 > 100
        assertEquals(0, second.admitted());
        assertEquals(1, gate.waitingCount());

        gate.request(third.ticket); // 60 + 30 would fit, but it queues behind second
        assertEquals(0, third.admitted());
        assertEquals(2, gate.waitingCount());
        assertEquals(60, gate.bytesInUse());

        gate.release(first.ticket); // 0 + 60 for second, then 60 + 30 = 90 for third
        assertEquals(1, second.admitted());
        assertEquals(1, third.admitted());
        assertEquals(90, gate.bytesInUse());
        assertEquals(0, gate.waitingCount());
        assertEquals(List.of("first", "second", "third"), admissions);

        gate.release(second.ticket);
        gate.release(third.ticket);
        assertEquals(0, gate.bytesInUse());
        assertEquals(1, first.admitted());
    }

    @Test
    void ticketsThatFitTogetherAreAdmittedTogether() {
        UploadGate gate = new UploadGate(100);
        Counted a = new Counted("a", 40);
        Counted b = new Counted("b", 60);
        gate.request(a.ticket);
        gate.request(b.ticket); // 40 + 60 = 100, exactly the budget
        assertEquals(1, b.admitted());
        assertEquals(100, gate.bytesInUse());
    }

    @Test
    void ticketLargerThanTheBudgetIsAdmittedWhenNothingIsInFlight() {
        UploadGate gate = new UploadGate(100);
        Counted big = new Counted("big", 250);
        Counted small = new Counted("small", 10);

        gate.request(big.ticket);
        assertEquals(1, big.admitted());
        assertEquals(250, gate.bytesInUse());

        gate.request(small.ticket); // something is in flight and 260 > 100
        assertEquals(0, small.admitted());

        gate.release(big.ticket);
        assertEquals(1, small.admitted());
        assertEquals(10, gate.bytesInUse());
    }

    @Test
    void largeTicketWaitsForEverythingInFlight() {
        UploadGate gate = new UploadGate(100);
        Counted a = new Counted("a", 30);
        Counted b = new Counted("b", 30);
        Counted big = new Counted("big", 250);
        gate.request(a.ticket);
        gate.request(b.ticket);
        gate.request(big.ticket);
        assertEquals(0, big.admitted());

        gate.release(a.ticket);
        assertEquals(0, big.admitted()); // b still in flight
        gate.release(b.ticket);
        assertEquals(1, big.admitted());
        assertEquals(250, gate.bytesInUse());
    }

    @Test
    void releasingAWaitingTicketWithdrawsIt() {
        UploadGate gate = new UploadGate(100);
        Counted first = new Counted("first", 60);
        Counted second = new Counted("second", 60);
        Counted third = new Counted("third", 30);
        gate.request(first.ticket);
        gate.request(second.ticket);
        gate.request(third.ticket);

        gate.release(second.ticket);

        // With second gone, third is at the head and 60 + 30 fits.
        assertEquals(0, second.admitted());
        assertEquals(1, third.admitted());
        assertEquals(0, gate.waitingCount());
        assertEquals(90, gate.bytesInUse());

        gate.release(first.ticket);
        gate.release(third.ticket);
        assertEquals(0, second.admitted());
        assertEquals(0, gate.bytesInUse());
        assertEquals(List.of("first", "third"), admissions);
    }

    @Test
    void releaseIsIdempotent() {
        UploadGate gate = new UploadGate(100);
        Counted first = new Counted("first", 60);
        Counted second = new Counted("second", 60);
        Counted third = new Counted("third", 60);
        gate.request(first.ticket);
        gate.request(second.ticket);
        gate.request(third.ticket);

        gate.release(first.ticket);
        assertEquals(1, second.admitted());
        assertEquals(60, gate.bytesInUse());

        // A second release of first must not free second's bytes and let third in.
        gate.release(first.ticket);
        assertEquals(0, third.admitted());
        assertEquals(60, gate.bytesInUse());
        assertEquals(1, gate.waitingCount());

        gate.release(second.ticket);
        gate.release(second.ticket);
        assertEquals(1, third.admitted());
        assertEquals(60, gate.bytesInUse());

        gate.release(third.ticket);
        gate.release(third.ticket);
        assertEquals(0, gate.bytesInUse());
        assertEquals(List.of("first", "second", "third"), admissions);
    }

    @Test
    void withdrawingTwiceIsHarmless() {
        UploadGate gate = new UploadGate(100);
        Counted first = new Counted("first", 80);
        Counted waiting = new Counted("waiting", 80);
        gate.request(first.ticket);
        gate.request(waiting.ticket);
        gate.release(waiting.ticket);
        gate.release(waiting.ticket);
        assertEquals(0, gate.waitingCount());
        assertEquals(80, gate.bytesInUse());
        gate.release(first.ticket);
        assertEquals(0, waiting.admitted());
        assertEquals(0, gate.bytesInUse());
    }

    @Test
    void refusesNonPositiveBudget() {
        assertThrows(IllegalArgumentException.class, () -> new UploadGate(0));
        assertThrows(IllegalArgumentException.class, () -> new UploadGate(-5));
    }
}
