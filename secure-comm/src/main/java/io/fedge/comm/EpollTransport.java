package io.fedge.comm;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

import java.util.Optional;

/**
 * The only class that names Netty's epoll classes, so that a class path without
 * {@code netty-transport-classes-epoll} (an Android build) loads everything else. Nothing here runs
 * before {@link #unavailability()} has found the classes present.
 */
final class EpollTransport {
    /** The class whose presence says that {@code netty-transport-classes-epoll} is on the class path. */
    static final String PROBE_CLASS = "io.netty.channel.epoll.Epoll";

    private EpollTransport() {
    }

    /**
     * Why epoll cannot be used here, or empty when it can: its classes are missing, or they are
     * present but the native library did not load (not Linux, another architecture's jar, none).
     */
    static Optional<Throwable> unavailability() {
        try {
            Class.forName(PROBE_CLASS, false, EpollTransport.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.of(e);
        }
        try {
            return Epoll.isAvailable() ? Optional.empty() : Optional.of(Epoll.unavailabilityCause());
        } catch (LinkageError e) {
            // the classes are there but something they need is not (netty-transport-native-unix-common)
            return Optional.of(e);
        }
    }

    static IoHandlerFactory ioHandlerFactory() {
        ensureAvailable();
        return EpollIoHandler.newFactory();
    }

    static Class<? extends ServerSocketChannel> serverChannelClass() {
        ensureAvailable();
        return EpollServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> channelClass() {
        ensureAvailable();
        return EpollSocketChannel.class;
    }

    private static void ensureAvailable() {
        Optional<Throwable> cause = unavailability();
        if (cause.isPresent()) {
            throw new IllegalStateException("Netty's epoll transport is unavailable here: "
                    + CauseLine.of(cause.get()), cause.get());
        }
    }
}
