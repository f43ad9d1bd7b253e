package io.fedge.coordinator;

import io.fedge.comm.secagg.NeighbourGraph;

import java.time.Duration;
import java.util.Objects;

/**
 * How the coordinator runs secure aggregation (docs/secure-aggregation.md). With it on, the
 * coordinator only ever holds masked updates and their sum; it learns the example-weighted mean
 * of the round's surviving clients and nothing about any one of them.
 *
 * @param wordBits 32 or 64: the size of a masked word on the wire. With 32, the coordinator picks
 *     the fraction bits per round and falls back to 64-bit words if fewer than
 *     {@link io.fedge.comm.secagg.MaskedWords#MIN_FRACTION_BITS} would be left
 * @param clipRange update values are clipped to {@code [-clipRange, clipRange]} before encoding
 * @param maxNeighbours the most neighbours a client masks against; 0 for the logarithmic default
 *     of {@link NeighbourGraph#defaultDegree}
 * @param thresholdFraction the Shamir threshold as a fraction of a client's neighbours, in [0.5, 1):
 *     higher tolerates fewer dropouts but more colluding clients
 * @param stageTimeout how long the coordinator waits for keys, shares and revealed shares
 */
public record SecureAggregation(int wordBits, double clipRange, int maxNeighbours, double thresholdFraction,
                                Duration stageTimeout) {
    public SecureAggregation {
        if (wordBits != 32 && wordBits != 64) {
            throw new IllegalArgumentException("wordBits must be 32 or 64: " + wordBits);
        }
        if (!(clipRange > 0) || !Double.isFinite(clipRange)) {
            throw new IllegalArgumentException("clipRange must be positive: " + clipRange);
        }
        if (maxNeighbours < 0 || maxNeighbours == 1) {
            throw new IllegalArgumentException("maxNeighbours must be 0 (default) or at least 2: " + maxNeighbours);
        }
        NeighbourGraph.threshold(2, thresholdFraction);
        Objects.requireNonNull(stageTimeout, "stageTimeout");
        if (stageTimeout.isNegative() || stageTimeout.isZero()) {
            throw new IllegalArgumentException("stageTimeout must be positive: " + stageTimeout);
        }
    }

    /** 32-bit words, values clipped to [-1, 1], logarithmic degree, threshold just over half, 30 s per stage. */
    public static SecureAggregation defaults() {
        return new SecureAggregation(32, 1.0, 0, 0.5, Duration.ofSeconds(30));
    }
}
