package io.fedge.client;

import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.crypto.UpdateSealer;
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
        int overhead = sealing == null ? 0 : UpdateSealer.TAG_BYTES;
        int perChunk = elementsPerChunk(codec, maxChunkBytes, maxElements, update.length, overhead);
        List<byte[]> chunks = new ArrayList<>();
        for (int from = 0, seq = 0; from < update.length; from += perChunk, seq++) {
            byte[] encoded = codec.encode(update, from, Math.min(perChunk, update.length - from));
            chunks.add(sealing == null ? encoded : sealing.seal(seq, encoded));
        }
        return OutgoingTransfer.ofEncodedChunks(transferId, chunks, perChunk, update.length);
    }
}
