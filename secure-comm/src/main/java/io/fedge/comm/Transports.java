package io.fedge.comm;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's Netty transport: the native epoll transport on Linux when it loads, NIO otherwise
 * (no {@code netty-transport-classes-epoll} on the class path, no native library for this machine,
 * not Linux). The system property {@code fedge.transport} ({@code auto}, the default; {@code nio};
 * {@code epoll}, which fails when epoll cannot load) overrides. Decided once, on first use; a fall
 * back to NIO is logged in one INFO line with the reason. Event loop groups and channel classes must
 * come from the same choice: use these methods together, or one {@link Transport} constant.
 * Thread-safe.
 */
public final class Transports {
    private static final Logger log = LoggerFactory.getLogger(Transports.class);

    private static Transport selected;

    private Transports() {
    }

    /**
     * The transport this process uses.
     *
     * @throws IllegalArgumentException if {@code fedge.transport} is set to something else than
     *     {@code auto}, {@code epoll} or {@code nio}
     * @throws IllegalStateException if {@code fedge.transport=epoll} and epoll cannot load
     */
    public static synchronized Transport selected() {
        if (selected == null) {
            TransportSelection.Choice choice = TransportSelection.choose(
                    System.getProperty(TransportSelection.PROPERTY), EpollTransport::unavailability);
            choice.fallback().ifPresent(log::info);
            selected = choice.transport();
        }
        return selected;
    }

    /** Whether the native epoll transport is in use. */
    public static boolean usesEpoll() {
        return selected() == Transport.EPOLL;
    }

    /**
     * An event loop group of {@code threads} threads named after {@code name}, of the selected transport.
     *
     * @throws IllegalArgumentException if {@code threads} is not positive
     */
    public static EventLoopGroup eventLoopGroup(int threads, String name) {
        return selected().eventLoopGroup(threads, name);
    }

    /** The selected transport's server channel class. */
    public static Class<? extends ServerSocketChannel> serverChannelClass() {
        return selected().serverChannelClass();
    }

    /** The selected transport's client channel class. */
    public static Class<? extends SocketChannel> channelClass() {
        return selected().channelClass();
    }
}
