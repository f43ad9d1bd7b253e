package io.fedge.coordinator;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Admits update uploads so that the bytes held for uploads not yet folded into the aggregate
 * never exceed a budget: a client announces its update, and is told to send it once enough of
 * the budget is free. One upload is always admitted when none is in flight, so a model larger
 * than the budget still gets through, one update at a time. This is what keeps the
 * coordinator's memory O(model size) when a hundred clients finish training at once.
 *
 * <p>Thread-safe. {@link Ticket#onAdmit} runs under the gate's lock and must only hand work off.
 */
final class UploadGate {
    /** One announced upload. */
    static final class Ticket {
        final long bytes;
        final Runnable onAdmit;
        boolean admitted;
        boolean released;

        Ticket(long bytes, Runnable onAdmit) {
            this.bytes = bytes;
            this.onAdmit = onAdmit;
        }
    }

    private final long budgetBytes;
    private final Deque<Ticket> waiting = new ArrayDeque<>();
    private long inUse;
    private int inFlight;

    UploadGate(long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("budgetBytes must be positive: " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
    }

    synchronized void request(Ticket ticket) {
        waiting.addLast(ticket);
        admitWhatFits();
    }

    /** Returns the ticket's bytes to the budget, or withdraws it if it was still waiting. Idempotent. */
    synchronized void release(Ticket ticket) {
        if (ticket.released) {
            return;
        }
        ticket.released = true;
        if (ticket.admitted) {
            inUse -= ticket.bytes;
            inFlight--;
        } else {
            waiting.remove(ticket);
        }
        admitWhatFits();
    }

    synchronized long bytesInUse() {
        return inUse;
    }

    synchronized int waitingCount() {
        return waiting.size();
    }

    private void admitWhatFits() {
        while (!waiting.isEmpty()) {
            Ticket next = waiting.peekFirst();
            if (inFlight > 0 && inUse + next.bytes > budgetBytes) {
                return;
            }
            waiting.pollFirst();
            next.admitted = true;
            inUse += next.bytes;
            inFlight++;
            next.onAdmit.run();
        }
    }
}
