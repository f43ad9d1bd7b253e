package io.fedge.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link OutgoingTransfer} and {@link IncomingTransfer}, each checked against the other and by hand. */
class TransferTest {
    private static final int CHUNK = 8;
    private static final long ID = 77;

    private static byte[] payload(int n) {
        byte[] p = new byte[n];
        new Random(n).nextBytes(p);
        return p;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes the transfer to a bare channel and reads back the buffers, leaving them unreleased. */
    private static List<ByteBuf> written(OutgoingTransfer transfer, EmbeddedChannel channel) {
        transfer.writeTo(channel);
        channel.flush();
        List<ByteBuf> out = new ArrayList<>();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            out.add((ByteBuf) msg);
        }
        return out;
    }

    /** The chunk messages of the transfer, as a receiver would parse them; every buffer is released. */
    private static List<Chunk> chunksOf(OutgoingTransfer transfer) {
        EmbeddedChannel channel = new EmbeddedChannel();
        List<Chunk> chunks = new ArrayList<>();
        for (ByteBuf buf : written(transfer, channel)) {
            try {
                Envelope env = Envelope.parseFrom(ByteBufUtil.getBytes(buf));
                assertEquals(Envelope.BodyCase.CHUNK, env.getBodyCase());
                chunks.add(env.getChunk());
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            } finally {
                buf.release();
            }
        }
        assertFalse(channel.finishAndReleaseAll());
        return chunks;
    }

    private static TransferHeader header(byte[] payload, int chunkCount) {
        return TransferHeader.newBuilder().setTransferId(ID).setTotalLength(payload.length)
                .setChunkCount(chunkCount).setSha256(ByteString.copyFrom(sha256(payload))).build();
    }

    private static Chunk chunk(long id, int seq, byte[] data, int from, int to) {
        return Chunk.newBuilder().setTransferId(id).setSeq(seq)
                .setData(ByteString.copyFrom(Arrays.copyOfRange(data, from, to))).build();
    }

    private static FedgeException refused(IncomingTransfer in, Chunk c) {
        return assertThrows(FedgeException.class, () -> in.accept(c));
    }

    @Test
    void twoAndAHalfChunksSplitIntoThreeAndReassemble() {
        byte[] payload = payload(CHUNK * 5 / 2); // 20 bytes: 8 + 8 + 4
        OutgoingTransfer out = OutgoingTransfer.ofBytes(ID, payload, CHUNK);
        try {
            TransferHeader h = out.header();
            assertEquals(ID, h.getTransferId());
            assertEquals(20, h.getTotalLength());
            assertEquals(3, h.getChunkCount());
            assertArrayEquals(sha256(payload), h.getSha256().toByteArray());

            List<Chunk> chunks = chunksOf(out);
            assertEquals(3, chunks.size());
            int[] sizes = chunks.stream().mapToInt(c -> c.getData().size()).toArray();
            assertArrayEquals(new int[] {8, 8, 4}, sizes);
            long wire = 0;
            for (int seq = 0; seq < 3; seq++) {
                assertEquals(seq, chunks.get(seq).getSeq());
                assertEquals(ID, chunks.get(seq).getTransferId());
                wire += Envelope.newBuilder().setChunk(chunks.get(seq)).build().getSerializedSize() + 4;
            }
            assertEquals(wire, out.wireBytes());

            IncomingTransfer in = new IncomingTransfer(h, 20, 3);
            assertFalse(in.accept(chunks.get(0)));
            assertFalse(in.accept(chunks.get(1)));
            assertEquals(16, in.received());
            assertFalse(in.isComplete());
            assertTrue(in.accept(chunks.get(2)));
            assertTrue(in.isComplete());
            assertArrayEquals(payload, in.payload());
            assertEquals(3, in.chunks().size());
        } finally {
            assertTrue(out.release());
        }
    }

    @Test
    void exactMultipleOfTheChunkSizeHasNoEmptyTail() {
        OutgoingTransfer out = OutgoingTransfer.ofBytes(ID, payload(16), CHUNK);
        try {
            assertEquals(2, out.header().getChunkCount());
            assertEquals(2, chunksOf(out).size());
        } finally {
            out.release();
        }
    }

    @Test
    void emptyPayloadTravelsAsOneEmptyChunk() {
        OutgoingTransfer out = OutgoingTransfer.ofBytes(ID, new byte[0], CHUNK);
        try {
            assertEquals(1, out.header().getChunkCount());
            assertEquals(0, out.header().getTotalLength());
            assertArrayEquals(sha256(new byte[0]), out.header().getSha256().toByteArray());
            IncomingTransfer in = new IncomingTransfer(out.header(), 0, 1);
            assertTrue(in.accept(chunksOf(out).get(0)));
            assertArrayEquals(new byte[0], in.payload());
        } finally {
            out.release();
        }
    }

    @Test
    void encodedChunksKeepTheirCutAndElementCounts() {
        byte[] a = payload(12);
        byte[] b = payload(5);
        OutgoingTransfer out = OutgoingTransfer.ofEncodedChunks(ID, List.of(a, b), 3, 4);
        try {
            TransferHeader h = out.header();
            assertEquals(17, h.getTotalLength());
            assertEquals(2, h.getChunkCount());
            assertEquals(3, h.getElementsPerChunk());
            assertEquals(4, h.getElementCount());
            byte[] joined = new byte[17];
            System.arraycopy(a, 0, joined, 0, 12);
            System.arraycopy(b, 0, joined, 12, 5);
            assertArrayEquals(sha256(joined), h.getSha256().toByteArray());
            List<Chunk> chunks = chunksOf(out);
            assertArrayEquals(a, chunks.get(0).getData().toByteArray());
            assertArrayEquals(b, chunks.get(1).getData().toByteArray());
        } finally {
            out.release();
        }
    }

    @Test
    void writingTwiceSendsTheSameSharedBuffers() {
        OutgoingTransfer out = OutgoingTransfer.ofBytes(ID, payload(20), CHUNK);
        EmbeddedChannel channel = new EmbeddedChannel();
        List<ByteBuf> first = written(out, channel);
        List<ByteBuf> second = written(out, channel);
        assertEquals(3, first.size());
        assertEquals(3, second.size());
        for (int i = 0; i < 3; i++) {
            ByteBuf a = first.get(i);
            ByteBuf b = second.get(i);
            assertArrayEquals(ByteBufUtil.getBytes(a), ByteBufUtil.getBytes(b));
            assertNotSame(a, b);
            // Same direct memory: a view of one serialized frame, not a copy per write (and a
            // transport writes a direct buffer without copying it either)
            assertTrue(a.isDirect());
            assertTrue(a.hasMemoryAddress());
            assertEquals(a.memoryAddress(), b.memoryAddress());
            // One reference held by the transfer, one by each write in flight.
            assertEquals(3, a.refCnt());
        }
        for (ByteBuf b : first) {
            b.release();
        }
        for (ByteBuf b : second) {
            b.release();
        }
        assertEquals(1, first.get(0).refCnt());
        assertEquals(1, out.refCnt());

        assertTrue(out.release());
        for (ByteBuf b : first) {
            assertEquals(0, b.refCnt());
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void writesInFlightOutliveTheCreatorsReference() {
        byte[] payload = payload(20);
        OutgoingTransfer out = OutgoingTransfer.ofBytes(ID, payload, CHUNK);
        EmbeddedChannel channel = new EmbeddedChannel();
        List<ByteBuf> inFlight = written(out, channel);
        TransferHeader h = out.header();
        assertTrue(out.release());

        IncomingTransfer in = new IncomingTransfer(h, 20, 3);
        boolean done = false;
        for (ByteBuf buf : inFlight) {
            assertEquals(1, buf.refCnt());
            try {
                done = in.accept(Envelope.parseFrom(ByteBufUtil.getBytes(buf)).getChunk());
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
            assertTrue(buf.release());
        }
        assertTrue(done);
        assertArrayEquals(payload, in.payload());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void outOfOrderChunkIsRefused() {
        byte[] p = payload(20);
        IncomingTransfer skip = new IncomingTransfer(header(p, 3), 100, 10);
        assertEquals(ErrorCode.TRANSFER_OUT_OF_ORDER, refused(skip, chunk(ID, 1, p, 8, 16)).code());

        IncomingTransfer repeat = new IncomingTransfer(header(p, 3), 100, 10);
        assertFalse(repeat.accept(chunk(ID, 0, p, 0, 8)));
        assertEquals(ErrorCode.TRANSFER_OUT_OF_ORDER, refused(repeat, chunk(ID, 0, p, 0, 8)).code());
    }

    @Test
    void chunkOfAnotherTransferIsRefused() {
        byte[] p = payload(20);
        IncomingTransfer in = new IncomingTransfer(header(p, 3), 100, 10);
        assertEquals(ErrorCode.UNEXPECTED_MESSAGE, refused(in, chunk(ID + 1, 0, p, 0, 8)).code());
    }

    @Test
    void bytesBeyondTheAnnouncedTotalAreRefused() {
        byte[] p = payload(20);
        byte[] longer = Arrays.copyOf(p, 21);
        IncomingTransfer in = new IncomingTransfer(header(p, 3), 100, 10);
        assertFalse(in.accept(chunk(ID, 0, longer, 0, 8)));
        assertFalse(in.accept(chunk(ID, 1, longer, 8, 16)));
        assertEquals(ErrorCode.TRANSFER_TOO_LONG, refused(in, chunk(ID, 2, longer, 16, 21)).code());
        assertFalse(in.isComplete());
        assertThrows(IllegalStateException.class, in::payload);
    }

    @Test
    void transferEndingShortIsMalformedAndAChunkPastTheCountTooLong() {
        byte[] p = payload(20);
        IncomingTransfer in = new IncomingTransfer(header(p, 2), 100, 10);
        assertFalse(in.accept(chunk(ID, 0, p, 0, 4)));
        // The last announced chunk arrives with only 8 of the 20 bytes received.
        assertEquals(ErrorCode.MALFORMED, refused(in, chunk(ID, 1, p, 4, 8)).code());
        IncomingTransfer done = new IncomingTransfer(header(p, 1), 100, 10);
        assertTrue(done.accept(chunk(ID, 0, p, 0, 20)));
        assertEquals(ErrorCode.TRANSFER_TOO_LONG, refused(done, chunk(ID, 1, new byte[0], 0, 0)).code());
    }

    @Test
    void tamperedDataOfTheSameLengthFailsTheDigestOnTheLastChunk() {
        byte[] p = payload(20);
        byte[] tampered = p.clone();
        tampered[9] ^= 0x40;
        IncomingTransfer in = new IncomingTransfer(header(p, 3), 100, 10);
        assertFalse(in.accept(chunk(ID, 0, tampered, 0, 8)));
        assertFalse(in.accept(chunk(ID, 1, tampered, 8, 16)));
        assertEquals(ErrorCode.DIGEST_MISMATCH, refused(in, chunk(ID, 2, tampered, 16, 20)).code());
    }

    @Test
    void headerOverTheLimitsIsRefused() {
        byte[] p = payload(20);
        FedgeException tooLong = assertThrows(FedgeException.class, () -> new IncomingTransfer(header(p, 3), 19, 10));
        assertEquals(ErrorCode.TRANSFER_TOO_LONG, tooLong.code());
        FedgeException tooMany = assertThrows(FedgeException.class, () -> new IncomingTransfer(header(p, 3), 100, 2));
        assertEquals(ErrorCode.TRANSFER_TOO_LONG, tooMany.code());
        // Exactly at both limits is fine.
        assertEquals(ID, new IncomingTransfer(header(p, 3), 20, 3).transferId());
    }

    @Test
    void totalLengthAboveLongMaxIsRefused() {
        // uint64 total_length 2^64 - 1 reads as -1 in Java; it must not pass as "small".
        TransferHeader h = header(payload(20), 3).toBuilder().setTotalLength(-1L).build();
        FedgeException e = assertThrows(FedgeException.class, () -> new IncomingTransfer(h, 100, 10));
        assertEquals(ErrorCode.TRANSFER_TOO_LONG, e.code());
    }

    @Test
    void inconsistentHeaderIsMalformed() {
        byte[] p = payload(20);
        TransferHeader noChunks = header(p, 0);
        assertEquals(ErrorCode.MALFORMED,
                assertThrows(FedgeException.class, () -> new IncomingTransfer(noChunks, 100, 10)).code());
        TransferHeader shortDigest = header(p, 3).toBuilder().setSha256(ByteString.copyFrom(new byte[31])).build();
        assertEquals(ErrorCode.MALFORMED,
                assertThrows(FedgeException.class, () -> new IncomingTransfer(shortDigest, 100, 10)).code());
    }

    @Test
    void refusesNonPositiveChunkSize() {
        assertThrows(IllegalArgumentException.class, () -> OutgoingTransfer.ofBytes(ID, new byte[4], 0));
    }
}
