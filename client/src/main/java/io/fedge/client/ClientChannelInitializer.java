package io.fedge.client;

import io.fedge.comm.FramingPipeline;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;

/** Builds a client connection's pipeline: framing with the frame limit, protobuf, the link handler. */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final FederatedClient client;

    ClientChannelInitializer(FederatedClient client) {
        this.client = client;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        FramingPipeline.addCodecs(ch.pipeline(), client.maxFrameBytes());
        ch.pipeline().addLast("link", new CoordinatorLinkHandler(client));
    }
}
