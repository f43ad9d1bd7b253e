package io.fedge.comm;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TransferHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A payload cut into chunk frames, serialized once, that can be written to any number of
 * channels: each write sends retained duplicates of the same buffers, so a model broadcast to a
 * thousand clients costs one serialization and no per-client copy. The frames are direct buffers,
 * which the transports write without copying (over plain TCP; TLS encrypts per connection).
 *
 * <p>Reference counted: the creator holds one reference and releases it when the payload is
 * superseded; writes in flight hold their own. Thread-safe.
 */
public final class OutgoingTransfer extends AbstractReferenceCounted {
    private final TransferHeader header;
    private final List<ByteBuf> frames;

    private OutgoingTransfer(TransferHeader header, List<ByteBuf> frames) {
        this.header = header;
        this.frames = frames;
    }

    /** Cuts {@code payload} into chunks of at most {@code chunkBytes} bytes. */
    public static OutgoingTransfer ofBytes(long transferId, byte[] payload, int chunkBytes) {
        Objects.requireNonNull(payload, "payload");
        if (chunkBytes <= 0) {
            throw new IllegalArgumentException("chunkBytes must be positive: " + chunkBytes);
        }
        List<ByteString> chunks = new ArrayList<>();
        for (int from = 0; from < payload.length; from += chunkBytes) {
            chunks.add(ByteString.copyFrom(payload, from, Math.min(chunkBytes, payload.length - from)));
        }
        if (chunks.isEmpty()) {
            chunks.add(ByteString.EMPTY);
        }
        return ofChunks(transferId, chunks, 0, 0);
    }

    /**
     * A transfer whose chunks were cut by the caller, each encoding {@code elementsPerChunk}
     * parameters (the last one possibly fewer) of a vector of {@code elementCount} parameters.
     * The chunk arrays are wrapped, not copied: the caller must not change them.
     */
    public static OutgoingTransfer ofEncodedChunks(long transferId, List<byte[]> chunks, int elementsPerChunk,
                                                   long elementCount) {
        List<ByteString> wrapped = new ArrayList<>(chunks.size());
        for (byte[] c : chunks) {
            wrapped.add(UnsafeByteOperations.unsafeWrap(c));
        }
        return ofChunks(transferId, wrapped, elementsPerChunk, elementCount);
    }

    private static OutgoingTransfer ofChunks(long transferId, List<ByteString> chunks, int elementsPerChunk,
                                             long elementCount) {
        MessageDigest sha = Digests.sha256();
        long total = 0;
        List<ByteBuf> frames = new ArrayList<>(chunks.size());
        for (int seq = 0; seq < chunks.size(); seq++) {
            ByteString data = chunks.get(seq);
            for (ByteBuffer b : data.asReadOnlyByteBufferList()) {
                sha.update(b);
            }
            total += data.size();
            Envelope frame = Envelope.newBuilder()
                    .setChunk(Chunk.newBuilder().setTransferId(transferId).setSeq(seq).setData(data))
                    .build();
            // direct: a heap buffer would be copied into a direct one by every channel it is
            // written to (epoll, NIO), 10,000 clients times the model; a direct one is written as is
            byte[] bytes = frame.toByteArray();
            frames.add(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
        }
        TransferHeader header = TransferHeader.newBuilder()
                .setTransferId(transferId)
                .setTotalLength(total)
                .setChunkCount(chunks.size())
                .setSha256(ByteString.copyFrom(sha.digest()))
                .setElementsPerChunk(elementsPerChunk)
                .setElementCount(elementCount)
                .build();
        return new OutgoingTransfer(header, List.copyOf(frames));
    }

    /** What the receiver needs to check the chunks: id, length, count, digest. */
    public TransferHeader header() {
        return header;
    }

    /** The number of bytes the chunk frames take on the wire, length prefixes included. */
    public long wireBytes() {
        long sum = 0;
        for (ByteBuf f : frames) {
            sum += f.readableBytes() + WireProtocol.LENGTH_FIELD_BYTES;
        }
        return sum;
    }

    /**
     * Writes every chunk frame to {@code channel} (without flushing) and returns the future of the
     * last write.
     */
    public ChannelFuture writeTo(Channel channel) {
        ChannelFuture last = null;
        for (ByteBuf frame : frames) {
            last = channel.write(frame.retainedDuplicate());
        }
        return last;
    }

    @Override
    protected void deallocate() {
        for (ByteBuf f : frames) {
            f.release();
        }
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        return this;
    }
}
