package io.fedge.comm;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Receives the chunks of one announced transfer and checks them as they arrive: the transfer id,
 * that sequence numbers run 0, 1, 2, ... without gaps, that the data never exceeds the announced
 * length or chunk count, and at the end that the SHA-256 of everything received equals the
 * announced digest. A transfer that fails any check throws and must be dropped whole.
 *
 * <p>Not thread-safe: one channel's event loop feeds it.
 */
public final class IncomingTransfer {
    private final TransferHeader header;
    private final MessageDigest sha = Digests.sha256();
    private final List<ByteString> chunks = new ArrayList<>();
    private long received;

    /**
     * @param maxTotalLength the most bytes this side accepts for such a transfer
     * @param maxChunks the most chunks this side accepts for such a transfer
     * @throws FedgeException with {@link ErrorCode#TRANSFER_TOO_LONG} if the header announces more
     *     than the limits, or {@link ErrorCode#MALFORMED} if it is inconsistent
     */
    public IncomingTransfer(TransferHeader header, long maxTotalLength, int maxChunks) {
        this.header = header;
        if (header.getTotalLength() < 0 || header.getTotalLength() > maxTotalLength) {
            throw new FedgeException(ErrorCode.TRANSFER_TOO_LONG, "transfer " + header.getTransferId()
                    + " announces " + header.getTotalLength() + " bytes, the limit is " + maxTotalLength);
        }
        if (header.getChunkCount() > maxChunks) {
            throw new FedgeException(ErrorCode.TRANSFER_TOO_LONG, "transfer " + header.getTransferId()
                    + " announces " + header.getChunkCount() + " chunks, the limit is " + maxChunks);
        }
        if (header.getChunkCount() == 0 || header.getSha256().size() != 32) {
            throw new FedgeException(ErrorCode.MALFORMED, "transfer " + header.getTransferId()
                    + " announces " + header.getChunkCount() + " chunks and a digest of "
                    + header.getSha256().size() + " bytes");
        }
    }

    public TransferHeader header() {
        return header;
    }

    public long transferId() {
        return header.getTransferId();
    }

    /** Bytes received so far. */
    public long received() {
        return received;
    }

    /**
     * Takes the next chunk.
     *
     * @return true if this was the last announced chunk and the transfer verified
     * @throws FedgeException if the chunk belongs elsewhere, is out of order, overruns the
     *     announced length, or completes a transfer whose length or digest is wrong
     */
    public boolean accept(Chunk chunk) {
        return accept(chunk, UnaryOperator.identity());
    }

    /**
     * Takes the next chunk and keeps what {@code transform} makes of its data (for example the
     * opened plaintext of a sealed chunk); the length and digest checks cover the data as received.
     *
     * @return true if this was the last announced chunk and the transfer verified
     * @throws FedgeException if the chunk belongs elsewhere, is out of order, overruns the
     *     announced length, completes a transfer whose length or digest is wrong, or if
     *     {@code transform} refuses it
     */
    public boolean accept(Chunk chunk, UnaryOperator<ByteString> transform) {
        if (chunk.getTransferId() != header.getTransferId()) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "chunk of transfer " + chunk.getTransferId()
                    + " while receiving transfer " + header.getTransferId());
        }
        if (chunk.getSeq() != chunks.size()) {
            throw new FedgeException(ErrorCode.TRANSFER_OUT_OF_ORDER, "transfer " + header.getTransferId()
                    + ": expected chunk " + chunks.size() + ", got " + chunk.getSeq());
        }
        ByteString data = chunk.getData();
        if (received + data.size() > header.getTotalLength() || chunks.size() + 1 > header.getChunkCount()) {
            throw new FedgeException(ErrorCode.TRANSFER_TOO_LONG, "transfer " + header.getTransferId()
                    + " goes past its announced " + header.getTotalLength() + " bytes in "
                    + header.getChunkCount() + " chunks");
        }
        for (ByteBuffer b : data.asReadOnlyByteBufferList()) {
            sha.update(b);
        }
        received += data.size();
        chunks.add(transform.apply(data));
        if (chunks.size() < header.getChunkCount()) {
            return false;
        }
        if (received != header.getTotalLength()) {
            throw new FedgeException(ErrorCode.MALFORMED, "transfer " + header.getTransferId() + " ended after "
                    + received + " of " + header.getTotalLength() + " announced bytes");
        }
        if (!MessageDigest.isEqual(sha.digest(), header.getSha256().toByteArray())) {
            throw new FedgeException(ErrorCode.DIGEST_MISMATCH, "transfer " + header.getTransferId()
                    + ": SHA-256 of the received data differs from the announced one");
        }
        return true;
    }

    /** Whether every announced chunk arrived and verified. */
    public boolean isComplete() {
        return chunks.size() == header.getChunkCount() && received == header.getTotalLength();
    }

    /** The verified chunks, in order. */
    public List<ByteString> chunks() {
        if (!isComplete()) {
            throw new IllegalStateException("transfer " + header.getTransferId() + " is not complete");
        }
        return Collections.unmodifiableList(chunks);
    }

    /** The verified payload as one array. */
    public byte[] payload() {
        return ByteString.copyFrom(chunks()).toByteArray();
    }
}
