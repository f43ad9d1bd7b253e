package io.fedge.coordinator;

import io.fedge.aggregation.ClientInfo;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.Envelope;
import io.netty.channel.ChannelFutureListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The connected, registered clients by id. A second session for the same id replaces the first,
 * whose connection is closed, so a device that reconnects after a network change is not locked
 * out by its own stale session. Thread-safe.
 */
final class ClientRegistry {
    private final Map<String, ClientSession> sessions = new ConcurrentHashMap<>();
    private final Object changed = new Object();

    /** Registers {@code session}, closing and returning any session it replaces. */
    Optional<ClientSession> register(ClientSession session) {
        ClientSession previous = sessions.put(session.clientId(), session);
        if (previous != null && previous.channel() != session.channel()) {
            previous.channel().close();
        }
        signal();
        return Optional.ofNullable(previous);
    }

    /** Removes {@code session} if it is still the registered one for its id. */
    boolean remove(ClientSession session) {
        boolean removed = sessions.remove(session.clientId(), session);
        if (removed) {
            signal();
        }
        return removed;
    }

    Optional<ClientSession> get(String clientId) {
        return Optional.ofNullable(sessions.get(clientId));
    }

    /** The id registered on {@code channel}, if any. Looks through every session: for rare events such as a refusal. */
    Optional<String> idOf(io.netty.channel.Channel channel) {
        for (ClientSession s : sessions.values()) {
            if (s.channel() == channel) {
                return Optional.of(s.clientId());
            }
        }
        return Optional.empty();
    }

    int size() {
        return sessions.size();
    }

    /** The connected clients, sorted by id so that seeded selection is reproducible. */
    List<ClientInfo> available() {
        List<ClientInfo> out = new ArrayList<>();
        for (ClientSession s : sessions.values()) {
            if (s.isActive()) {
                out.add(s.info());
            }
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }

    /** Blocks until at least {@code n} clients are registered or the timeout passes. */
    boolean awaitAtLeast(int n, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (changed) {
            while (sessions.size() < n) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                changed.wait(left);
            }
            return true;
        }
    }

    /** Blocks until a client registers or leaves, or the timeout passes. */
    void awaitChange(long timeoutMillis) throws InterruptedException {
        synchronized (changed) {
            changed.wait(Math.max(1, timeoutMillis));
        }
    }

    private void signal() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    /**
     * Says Bye to every session with {@code code} and {@code reason}, then closes it, once the Bye is
     * written. Returns each connection's close future: the Byes are written on the event loops, so
     * a caller about to stop them must wait for these, or clients whose Bye was still queued see
     * only a dropped connection (and a finished federation's clients would reconnect).
     */
    java.util.List<io.netty.channel.ChannelFuture> closeAll(io.fedge.comm.proto.ByeCode code, String reason) {
        Envelope bye = Envelope.newBuilder().setBye(Bye.newBuilder().setReason(reason).setCode(code)).build();
        java.util.List<io.netty.channel.ChannelFuture> closed = new java.util.ArrayList<>();
        for (ClientSession s : sessions.values()) {
            s.channel().writeAndFlush(bye).addListener(ChannelFutureListener.CLOSE);
            closed.add(s.channel().closeFuture());
        }
        return closed;
    }
}
