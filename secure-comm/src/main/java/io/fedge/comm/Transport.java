package io.fedge.comm;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * One of Netty's socket transports. Event loop groups and channel classes of a bootstrap must come
 * from the same constant. {@link Transports#selected()} is the one the process uses; a constant can
 * also be used directly, as tests that force NIO do.
 *
 * <p>{@link #EPOLL} needs {@code netty-transport-classes-epoll} and the native library of
 * {@code netty-transport-native-epoll} for the machine (Linux only); its classes are touched only
 * when one of its methods runs, so {@link #NIO} works without them. Thread-safe (an enum).
 */
public enum Transport {
    /** Netty's native epoll transport: Linux, with the native library loaded. */
    EPOLL {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return EpollTransport.ioHandlerFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            return EpollTransport.serverChannelClass();
        }

        @Override
        public Class<? extends SocketChannel> channelClass() {
            return EpollTransport.channelClass();
        }
    },
    /** The JDK's NIO selector: every platform, no native library. */
    NIO {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            return NioServerSocketChannel.class;
        }

        @Override
        public Class<? extends SocketChannel> channelClass() {
            return NioSocketChannel.class;
        }
    };

    abstract IoHandlerFactory ioHandlerFactory();

    /**
     * An event loop group of {@code threads} daemon threads named after {@code name}.
     *
     * @throws IllegalArgumentException if {@code threads} is not positive
     * @throws IllegalStateException for {@link #EPOLL} when epoll cannot be loaded here (the cause says why)
     */
    public EventLoopGroup eventLoopGroup(int threads, String name) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive: " + threads);
        }
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlerFactory());
    }

    /**
     * The server channel class for {@code ServerBootstrap.channel}.
     *
     * @throws IllegalStateException for {@link #EPOLL} when epoll cannot be loaded here
     */
    public abstract Class<? extends ServerSocketChannel> serverChannelClass();

    /**
     * The client channel class for {@code Bootstrap.channel}.
     *
     * @throws IllegalStateException for {@link #EPOLL} when epoll cannot be loaded here
     */
    public abstract Class<? extends SocketChannel> channelClass();
}
