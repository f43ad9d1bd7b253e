package io.fedge.comm;

import io.fedge.comm.proto.Envelope;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;

/**
 * Adds the four codec handlers every fedge endpoint has, in this order: the length-prefixed frame
 * decoder with a hard maximum, the length prepender, the protobuf {@link Envelope} decoder and
 * encoder. Handlers written after these receive {@link Envelope}s and may write either an
 * {@link Envelope} or an already serialized envelope in a {@link io.netty.buffer.ByteBuf} (how a
 * model broadcast reuses one buffer for every client).
 */
public final class FramingPipeline {
    public static final String FRAME_DECODER = "frameDecoder";
    public static final String FRAME_ENCODER = "frameEncoder";
    public static final String PROTOBUF_DECODER = "protobufDecoder";
    public static final String PROTOBUF_ENCODER = "protobufEncoder";

    private static final ProtobufEncoder PROTOBUF_ENCODER_INSTANCE = new ProtobufEncoder();
    private static final ProtobufDecoder PROTOBUF_DECODER_INSTANCE = new ProtobufDecoder(Envelope.getDefaultInstance());
    private static final LengthFieldPrepender PREPENDER = new LengthFieldPrepender(WireProtocol.LENGTH_FIELD_BYTES);

    private FramingPipeline() {
    }

    /**
     * Adds the codecs at the end of {@code pipeline}.
     *
     * @param maxFrameBytes frames longer than this raise {@link io.netty.handler.codec.TooLongFrameException}
     *     as soon as their length prefix is read, before the body is buffered
     */
    public static void addCodecs(ChannelPipeline pipeline, int maxFrameBytes) {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes must be positive: " + maxFrameBytes);
        }
        pipeline.addLast(FRAME_DECODER, new LengthFieldBasedFrameDecoder(
                maxFrameBytes, 0, WireProtocol.LENGTH_FIELD_BYTES, 0, WireProtocol.LENGTH_FIELD_BYTES, true));
        pipeline.addLast(FRAME_ENCODER, PREPENDER);
        pipeline.addLast(PROTOBUF_DECODER, PROTOBUF_DECODER_INSTANCE);
        pipeline.addLast(PROTOBUF_ENCODER, PROTOBUF_ENCODER_INSTANCE);
    }
}
