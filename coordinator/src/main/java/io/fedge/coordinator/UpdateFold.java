package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.compression.UpdateCodec;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.util.List;

/**
 * The arithmetic between a verified upload and the strategy: decodes the staged chunks one at a
 * time into a one-chunk scratch buffer, refuses the update if any value is not finite, measures
 * its L2 norm on that same pass, and then presents it to the aggregation clipped to the round's
 * bound. Nothing of a refused update reaches the aggregate: the check pass runs to the end
 * before the first fold. Used on the aggregation thread only.
 */
final class UpdateFold {
    private final UpdateCodec codec;
    private final List<ByteString> chunks;
    private final int perChunk;
    private final int parameterCount;
    private final float[] scratch;

    UpdateFold(UpdateCodec codec, List<ByteString> chunks, int perChunk, int parameterCount) {
        this.codec = codec;
        this.chunks = chunks;
        this.perChunk = perChunk;
        this.parameterCount = parameterCount;
        this.scratch = new float[Math.min(perChunk, parameterCount)];
    }

    /**
     * Decodes the whole update once: its L2 norm.
     *
     * @throws FedgeException with {@link ErrorCode#NON_FINITE} naming the first bad value
     */
    double checkedNorm() {
        double sumSquares = 0;
        for (int c = 0; c < chunks.size(); c++) {
            int offset = c * perChunk;
            int length = decode(c);
            for (int i = 0; i < length; i++) {
                float v = scratch[i];
                if (!Float.isFinite(v)) {
                    throw new FedgeException(ErrorCode.NON_FINITE, "update value " + (offset + i) + " is " + v);
                }
                sumSquares += (double) v * v;
            }
        }
        double norm = Math.sqrt(sumSquares);
        if (!Double.isFinite(norm)) {
            throw new FedgeException(ErrorCode.NON_FINITE, "update norm overflows: every value is finite but "
                    + "their squares sum past the largest double");
        }
        return norm;
    }

    /** The update as the aggregation sees it: each value times {@code scale} (1 when not clipped). */
    UpdateChunks scaled(double scale) {
        float factor = (float) scale;
        return visitor -> {
            for (int c = 0; c < chunks.size(); c++) {
                int length = decode(c);
                if (scale != 1.0) {
                    for (int i = 0; i < length; i++) {
                        scratch[i] *= factor;
                    }
                }
                visitor.visit(c * perChunk, scratch, length);
            }
        };
    }

    /** The factor that brings an update of {@code norm} within {@code bound}: 1 when it already is. */
    static double clipScale(double norm, double bound) {
        return norm > bound ? bound / norm : 1.0;
    }

    private int decode(int c) {
        int offset = c * perChunk;
        int length = Math.min(perChunk, parameterCount - offset);
        codec.decode(chunks.get(c).asReadOnlyByteBuffer(), scratch, 0, length);
        return length;
    }
}
