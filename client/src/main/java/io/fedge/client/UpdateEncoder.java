package io.fedge.client;

import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.compression.UpdateCodec;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts an update into chunks that each encode to at most the coordinator's chunk size, and
 * encodes every chunk on its own, so the coordinator can decode them one at a time.
 */
final class UpdateEncoder {
    private UpdateEncoder() {
    }

    /**
     * The most values per chunk, at most {@code maxElements}, whose encoding fits in
     * {@code maxChunkBytes}.
     */
    static int elementsPerChunk(UpdateCodec codec, int maxChunkBytes, int maxElements, int total) {
        return elementsPerChunk(codec, maxChunkBytes, maxElements, total, 0);
    }

    private static int elementsPerChunk(UpdateCodec codec, int maxChunkBytes, int maxElements, int total, int overhead) {
        int lo = 1;
        int hi = Math.max(1, Math.min(total, maxElements));
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if ((long) codec.maxEncodedBytes(mid) + overhead <= maxChunkBytes) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    static OutgoingTransfer encode(long transferId, float[] update, UpdateCodec codec, int maxChunkBytes,
                                   int maxElements) {
        return encode(transferId, update, codec, maxChunkBytes, maxElements, null);
    }

    /**
     * Encodes the update chunk by chunk and, with a {@code sealing}, seals each encoded chunk to
     * the aggregator (AES-256-GCM, 16 bytes more per chunk).
     */
    static OutgoingTransfer encode(long transferId, float[] update, UpdateCodec codec, int maxChunkBytes,
                                   int maxElements, UpdateSealer.Sealing sealing) {
        return encode(transferId, update, codec, maxChunkBytes, maxElements, sealing, null);
    }

    /**
     * As above; with {@code decoded}, also decodes every chunk into it, as the coordinator will,
     * for error feedback.
     */
    static OutgoingTransfer encode(long transferId, float[] update, UpdateCodec codec, int maxChunkBytes,
                                   int maxElements, UpdateSealer.Sealing sealing, float[] decoded) {
        int overhead = sealing == null ? 0 : UpdateSealer.TAG_BYTES;
        int perChunk = elementsPerChunk(codec, maxChunkBytes, maxElements, update.length, overhead);
        List<byte[]> chunks = new ArrayList<>();
        for (int from = 0; from < update.length; from += perChunk) {
            int n = Math.min(perChunk, update.length - from);
            byte[] encoded = codec.encode(update, from, n);
            if (decoded != null) {
                codec.decode(java.nio.ByteBuffer.wrap(encoded), decoded, from, n);
            }
            chunks.add(encoded);
        }
        return ofChunks(transferId, chunks, perChunk, update.length, sealing);
    }

    /** Values per chunk of a masked update: as many words as fit a chunk, at most {@code maxElements}. */
    static int maskedElementsPerChunk(MaskedWords words, int maxChunkBytes, int maxElements, boolean sealed) {
        int room = maxChunkBytes - (sealed ? UpdateSealer.TAG_BYTES : 0);
        return Math.max(1, Math.min(maxElements, room / words.wordBytes()));
    }

    /** A transfer of already encoded chunks, each sealed to the aggregator when {@code sealing} is given. */
    static OutgoingTransfer ofChunks(long transferId, List<byte[]> encoded, int perChunk, int elements,
                                     UpdateSealer.Sealing sealing) {
        List<byte[]> chunks = encoded;
        if (sealing != null) {
            chunks = new ArrayList<>(encoded.size());
            for (int seq = 0; seq < encoded.size(); seq++) {
                chunks.add(sealing.seal(seq, encoded.get(seq)));
            }
        }
        return OutgoingTransfer.ofEncodedChunks(transferId, chunks, perChunk, elements);
    }
}
