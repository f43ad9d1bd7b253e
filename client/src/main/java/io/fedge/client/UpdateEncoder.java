package io.fedge.client;

import io.fedge.comm.OutgoingTransfer;
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
        int lo = 1;
        int hi = Math.max(1, Math.min(total, maxElements));
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (codec.maxEncodedBytes(mid) <= maxChunkBytes) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    static OutgoingTransfer encode(long transferId, float[] update, UpdateCodec codec, int maxChunkBytes,
                                   int maxElements) {
        int perChunk = elementsPerChunk(codec, maxChunkBytes, maxElements, update.length);
        List<byte[]> chunks = new ArrayList<>();
        for (int from = 0; from < update.length; from += perChunk) {
            chunks.add(codec.encode(update, from, Math.min(perChunk, update.length - from)));
        }
        return OutgoingTransfer.ofEncodedChunks(transferId, chunks, perChunk, update.length);
    }
}
