package io.fedge.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Hello;
import io.fedge.core.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FramingPipelineTest {
    private static final int MAX_FRAME = 256;

    private final List<ByteBuf> fed = new ArrayList<>();
    private EmbeddedChannel channel = newChannel(MAX_FRAME);

    private static EmbeddedChannel newChannel(int maxFrameBytes) {
        EmbeddedChannel ch = new EmbeddedChannel();
        FramingPipeline.addCodecs(ch.pipeline(), maxFrameBytes);
        return ch;
    }

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
        // Whatever was fed in was consumed by the decoder or freed when the channel closed.
        for (ByteBuf b : fed) {
            assertEquals(0, b.refCnt(), "an inbound buffer leaked");
        }
    }

    private static Envelope hello() {
        return Envelope.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(1)
                .setClientId("client-07")
                .addCodecs("fp32")
                .setNumExamples(600)
                .putProperties("device", "pixel-7")).build();
    }

    private static Envelope chunk(int dataBytes) {
        byte[] data = new byte[dataBytes];
        Arrays.fill(data, (byte) 0x5A);
        return Envelope.newBuilder().setChunk(Chunk.newBuilder()
                .setTransferId(42).setSeq(3).setData(ByteString.copyFrom(data))).build();
    }

    /** [4-byte big-endian length][bytes], computed without Netty. */
    private static byte[] framed(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    /** Drains the outbound side into one array, releasing every buffer read out. */
    private byte[] drainOutbound() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) msg;
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            out.writeBytes(bytes);
            assertTrue(buf.release());
            assertEquals(0, buf.refCnt());
        }
        return out.toByteArray();
    }

    private void feed(byte[] bytes, int from, int to) {
        ByteBuf b = Unpooled.copiedBuffer(bytes, from, to - from);
        fed.add(b);
        channel.writeInbound(b);
    }

    @Test
    void envelopeGoesOutLengthPrefixed() {
        Envelope env = hello();
        assertTrue(channel.writeOutbound(env));

        assertArrayEquals(framed(env.toByteArray()), drainOutbound());
    }

    @Test
    void serializedEnvelopeInAByteBufIsFramedTheSameAndNotCopied() {
        Envelope env = hello();
        ByteBuf serialized = Unpooled.wrappedBuffer(env.toByteArray());
        assertTrue(channel.writeOutbound(serialized));

        assertArrayEquals(framed(env.toByteArray()), drainOutbound());
        assertEquals(0, serialized.refCnt());
    }

    @Test
    void frameFedOneByteAtATimeDecodesToTheSameEnvelope() {
        Envelope env = hello();
        byte[] wire = framed(env.toByteArray());
        for (int i = 0; i < wire.length - 1; i++) {
            feed(wire, i, i + 1);
            assertNull(channel.readInbound(), "decoded before byte " + (i + 1) + " of " + wire.length);
        }
        feed(wire, wire.length - 1, wire.length);

        assertEquals(env, channel.readInbound());
        assertNull(channel.readInbound());
    }

    @Test
    void whatTheEncoderWritesTheDecoderReads() {
        Envelope env = chunk(100);
        channel.writeOutbound(env);
        byte[] wire = drainOutbound();
        feed(wire, 0, wire.length);
        assertEquals(env, channel.readInbound());
    }

    @Test
    void framesSplitAcrossAndJoinedInFragmentsAllDecode() {
        Envelope a = hello();
        Envelope b = chunk(40);
        Envelope c = Envelope.getDefaultInstance(); // an empty body: a zero-length frame
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(framed(a.toByteArray()));
        stream.writeBytes(framed(b.toByteArray()));
        stream.writeBytes(framed(c.toByteArray()));
        byte[] wire = stream.toByteArray();
        for (int from = 0; from < wire.length; from += 7) {
            feed(wire, from, Math.min(wire.length, from + 7));
        }

        assertEquals(a, channel.readInbound());
        assertEquals(b, channel.readInbound());
        assertEquals(c, channel.readInbound());
        assertNull(channel.readInbound());
    }

    @Test
    void frameAtTheLimitIsAccepted() {
        // The limit counts the 4-byte prefix: a body of MAX_FRAME - 4 bytes is the largest frame.
        // Around 242 data bytes: chunk = 2 (id) + 2 (seq) + 1 + 2 + 242 = 249, envelope = 1 + 2 + 249 = 252.
        Envelope env = chunk(242);
        assertEquals(MAX_FRAME - 4, env.getSerializedSize());
        byte[] wire = framed(env.toByteArray());
        feed(wire, 0, wire.length);
        assertEquals(env, channel.readInbound());
    }

    @Test
    void lengthPrefixOverTheLimitFailsBeforeTheBodyArrives() {
        byte[] prefix = ByteBuffer.allocate(4).putInt(MAX_FRAME - 3).array();
        feed(prefix, 0, 2);
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> feed(prefix, 2, 4));

        assertEquals(ErrorCode.FRAME_TOO_LARGE, ProtocolErrors.classify(e).code());
        assertNull(channel.readInbound());
    }

    @Test
    void hugeLengthPrefixIsRefusedWithoutBuffering() {
        byte[] wire = ByteBuffer.allocate(8).putInt(Integer.MAX_VALUE).putInt(0x01020304).array();
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> feed(wire, 0, wire.length));
        assertEquals(ErrorCode.FRAME_TOO_LARGE, ProtocolErrors.classify(e).code());
    }

    @Test
    void allOnesLengthPrefixReadsUnsignedAndIsTooLarge() {
        // 0xFFFFFFFF is 4,294,967,295 as the unsigned prefix, not -1.
        byte[] wire = ByteBuffer.allocate(4).putInt(-1).array();
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> feed(wire, 0, wire.length));
        assertEquals(ErrorCode.FRAME_TOO_LARGE, ProtocolErrors.classify(e).code());
    }

    @Test
    void garbageInsideAValidFrameIsMalformed() {
        byte[][] garbage = {
                {0x00},                               // field number 0
                {0x22, 0x05, 0x08},                   // chunk of 5 bytes, only 1 present
                {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
        };
        for (byte[] body : garbage) {
            byte[] wire = framed(body);
            DecoderException e = assertThrows(DecoderException.class, () -> feed(wire, 0, wire.length),
                    Arrays.toString(body));
            assertEquals(ErrorCode.MALFORMED, ProtocolErrors.classify(e).code(), Arrays.toString(body));
            assertNull(channel.readInbound());
        }
    }

    @Test
    void refusesNonPositiveMaximum() {
        EmbeddedChannel ch = new EmbeddedChannel();
        assertThrows(IllegalArgumentException.class, () -> FramingPipeline.addCodecs(ch.pipeline(), 0));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void handlersAreNamedInPipelineOrder() {
        assertEquals(List.of(FramingPipeline.FRAME_DECODER, FramingPipeline.FRAME_ENCODER,
                        FramingPipeline.PROTOBUF_DECODER, FramingPipeline.PROTOBUF_ENCODER),
                channel.pipeline().names().subList(0, 4));
    }
}
