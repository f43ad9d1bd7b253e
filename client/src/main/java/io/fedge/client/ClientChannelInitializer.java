package io.fedge.client;

import java.net.InetSocketAddress;

import io.fedge.comm.FramingPipeline;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;

/** Builds a client connection's pipeline: TLS if configured, framing with the frame limit, protobuf, the link handler. */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final FederatedClient client;

    ClientChannelInitializer(FederatedClient client) {
        this.client = client;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (client.tls() != null) {
            InetSocketAddress peer = client.coordinatorAddress();
            ch.pipeline().addLast("tls", client.tls().newHandler(ch.alloc(), peer.getHostString(), peer.getPort()));
        }
        FramingPipeline.addCodecs(ch.pipeline(), client.maxFrameBytes());
        ch.pipeline().addLast("link", new CoordinatorLinkHandler(client));
    }
}
