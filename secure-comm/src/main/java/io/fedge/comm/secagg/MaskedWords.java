package io.fedge.comm.secagg;

import io.fedge.comm.proto.SecAggSetup;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.lang.invoke.MethodHandles;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * How a secure-aggregation round puts updates on the wire: fixed-point words of {@code wordBits}
 * (32 or 64), added modulo 2^wordBits, {@code wordBits / 8} little-endian bytes per parameter.
 *
 * <p>A value {@code v} of an update trained on {@code n} examples is clipped to
 * {@code [-clipRange, clipRange]} and becomes {@code round(v * min(n, weightCap) * 2^fractionBits)}.
 * The coordinator picks {@code fractionBits} per round so that the sum of all selected clients'
 * words cannot leave the signed range of a word (see {@link #forRound}); the sum then decodes to the
 * example-weighted sum with an error of at most {@code clients / 2^(fractionBits + 1)}, which is
 * {@code clients / (2^(fractionBits + 1) * totalWeight)} on the weighted mean.
 *
 * @param wordBits 32 or 64
 * @param fractionBits bits after the binary point
 * @param clipRange the clip bound of update values
 * @param weightCap the largest example count a client may weight its update with
 */
public record MaskedWords(int wordBits, int fractionBits, double clipRange, long weightCap) {
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Fewer fraction bits than this would lose more precision than float updates carry. */
    public static final int MIN_FRACTION_BITS = 10;

    public MaskedWords {
        if (wordBits != 32 && wordBits != 64) {
            throw new IllegalArgumentException("wordBits must be 32 or 64: " + wordBits);
        }
        if (fractionBits < 1 || fractionBits > wordBits - 2) {
            throw new IllegalArgumentException("fractionBits must be in [1, " + (wordBits - 2) + "]: " + fractionBits);
        }
        if (!(clipRange > 0) || !Double.isFinite(clipRange)) {
            throw new IllegalArgumentException("clipRange must be positive: " + clipRange);
        }
        if (weightCap <= 0) {
            throw new IllegalArgumentException("weightCap must be positive: " + weightCap);
        }
    }

    /**
     * The encoding for a round of {@code clients} clients weighting by at most {@code weightCap}
     * examples each: the most fraction bits (at most 24) such that
     * {@code clients * weightCap * clipRange * 2^fractionBits < 2^(wordBits - 2)}, computed exactly.
     * At least {@link #MIN_FRACTION_BITS} must be left, which holds exactly when
     * {@code weightCap <= }{@link #maxWeightCap}{@code (wordBits, clipRange, clients)}.
     *
     * @throws FedgeException with {@link ErrorCode#LIMIT_EXCEEDED} if not even 64-bit words can
     *     carry the round: cap the clients' weights at {@code maxWeightCap(64, clipRange, clients)}
     * @throws IllegalArgumentException if 64-bit words could carry the round but {@code wordBits}
     *     cannot (use 64), or an argument is out of range
     */
    public static MaskedWords forRound(int wordBits, double clipRange, long weightCap, int clients) {
        long most = maxWeightCap(64, clipRange, clients);
        if (weightCap > most) {
            throw new FedgeException(ErrorCode.LIMIT_EXCEEDED, "a secure sum of " + clients + " clients of up to "
                    + weightCap + " examples with values in +-" + clipRange + " does not fit any word size: 64-bit "
                    + "words keep " + MIN_FRACTION_BITS + " fraction bits for weight caps up to " + most + " (32-bit "
                    + "words up to " + maxWeightCap(32, clipRange, clients) + "); cap the clients' weights");
        }
        if (weightCap > maxWeightCap(wordBits, clipRange, clients)) {
            throw new IllegalArgumentException(clients + " clients of up to " + weightCap + " examples with values in +-"
                    + clipRange + " leave fewer than " + MIN_FRACTION_BITS + " fraction bits in " + wordBits
                    + "-bit words (weight caps up to " + maxWeightCap(wordBits, clipRange, clients) + " do)");
        }
        if (weightCap <= 0) {
            throw new IllegalArgumentException("weightCap must be positive: " + weightCap);
        }
        // 2^integerBits > magnitude, as few as that takes
        int integerBits = magnitude(clients, weightCap, clipRange).toBigInteger().bitLength();
        return new MaskedWords(wordBits, Math.min(24, wordBits - 2 - integerBits), clipRange, weightCap);
    }

    /**
     * The largest weight cap a round of {@code clients} clients with values clipped to
     * {@code clipRange} can use in {@code wordBits}-bit words and keep {@link #MIN_FRACTION_BITS}
     * fraction bits: the largest integer {@code cap} with
     * {@code clients * cap * clipRange < 2^(wordBits - 2 - MIN_FRACTION_BITS)}, computed exactly;
     * 0 if not even a cap of 1 fits, {@link Long#MAX_VALUE} if every cap does. A coordinator caps
     * each client's weight (its example count) at this before building a round.
     *
     * @throws IllegalArgumentException unless {@code wordBits} is 32 or 64, {@code clipRange}
     *     positive and finite and {@code clients} positive
     */
    public static long maxWeightCap(int wordBits, double clipRange, int clients) {
        if (wordBits != 32 && wordBits != 64) {
            throw new IllegalArgumentException("wordBits must be 32 or 64: " + wordBits);
        }
        if (!(clipRange > 0) || !Double.isFinite(clipRange)) {
            throw new IllegalArgumentException("clipRange must be positive: " + clipRange);
        }
        if (clients <= 0) {
            throw new IllegalArgumentException("clients must be positive: " + clients);
        }
        BigDecimal limit = new BigDecimal(BigInteger.ONE.shiftLeft(wordBits - 2 - MIN_FRACTION_BITS));
        BigDecimal perExample = magnitude(clients, 1, clipRange);
        BigDecimal quotient = limit.divideToIntegralValue(perExample); // floor: both are positive
        BigInteger cap = quotient.toBigInteger();
        if (quotient.multiply(perExample).compareTo(limit) == 0) {
            cap = cap.subtract(BigInteger.ONE); // the bound is strict
        }
        return cap.bitLength() < 64 ? cap.longValueExact() : Long.MAX_VALUE;
    }

    /** {@code clients * weightCap * clipRange}, exactly. */
    private static BigDecimal magnitude(int clients, long weightCap, double clipRange) {
        return new BigDecimal(clipRange).multiply(BigDecimal.valueOf(clients)).multiply(BigDecimal.valueOf(weightCap));
    }

    /** Reads the encoding a round announced. */
    public static MaskedWords of(SecAggSetup setup) {
        try {
            return new MaskedWords(setup.getWordBits(), setup.getFractionBits(), setup.getClipRange(),
                    setup.getWeightCap());
        } catch (IllegalArgumentException e) {
            throw new FedgeException(ErrorCode.MALFORMED, "bad secure-aggregation setup: " + e.getMessage());
        }
    }

    public SecAggSetup toSetup() {
        return SecAggSetup.newBuilder().setWordBits(wordBits).setFractionBits(fractionBits).setClipRange(clipRange)
                .setWeightCap(weightCap).build();
    }

    public int wordBytes() {
        return wordBits / 8;
    }

    /** The weight a client trained on {@code numExamples} examples uses. */
    public long weight(long numExamples) {
        return Math.min(numExamples, weightCap);
    }

    /** {@code values[from..from+n)} times {@code weight}, clipped, scaled and rounded, into {@code out[0..n)}. */
    public void encode(float[] values, int from, int n, long weight, long[] out) {
        double scale = Math.scalb((double) weight, fractionBits);
        for (int i = 0; i < n; i++) {
            double v = Math.max(-clipRange, Math.min(clipRange, values[from + i]));
            out[i] = Math.round(v * scale);
        }
    }

    /** Writes the low {@code wordBits} of {@code words[0..n)}, little-endian. */
    public byte[] toBytes(long[] words, int n) {
        byte[] out = new byte[n * wordBytes()];
        if (wordBits == 32) {
            for (int i = 0; i < n; i++) {
                INT_LE.set(out, 4 * i, (int) words[i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                LONG_LE.set(out, 8 * i, words[i]);
            }
        }
        return out;
    }

    /**
     * Adds the words of {@code data} to {@code sum[offset..]}, wrapping.
     *
     * @throws FedgeException with {@link ErrorCode#SHAPE_MISMATCH} unless {@code data} holds exactly {@code n} words
     */
    public void addTo(long[] sum, int offset, byte[] data, int n) {
        if (data.length != n * wordBytes()) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH, "a chunk of " + n + " masked values must be "
                    + n * wordBytes() + " bytes, not " + data.length);
        }
        if (wordBits == 32) {
            for (int i = 0; i < n; i++) {
                sum[offset + i] += (int) INT_LE.get(data, 4 * i);
            }
        } else {
            for (int i = 0; i < n; i++) {
                sum[offset + i] += (long) LONG_LE.get(data, 8 * i);
            }
        }
    }

    /** As {@link #addTo(long[], int, byte[], int)}, reading the chunk from a buffer (its position to its limit) without copying it. */
    public void addTo(long[] sum, int offset, java.nio.ByteBuffer data, int n) {
        java.nio.ByteBuffer in = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() != n * wordBytes()) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH, "a chunk of " + n + " masked values must be "
                    + n * wordBytes() + " bytes, not " + in.remaining());
        }
        if (wordBits == 32) {
            for (int i = 0; i < n; i++) {
                sum[offset + i] += in.getInt(4 * i);
            }
        } else {
            for (int i = 0; i < n; i++) {
                sum[offset + i] += in.getLong(8 * i);
            }
        }
    }

    /** A summed word's value as a signed {@code wordBits}-bit number, divided by 2^fractionBits and {@code totalWeight}. */
    public double decodeMean(long sum, long totalWeight) {
        long signed = wordBits == 32 ? (long) (int) sum : sum;
        return Math.scalb((double) signed, -fractionBits) / totalWeight;
    }

    /** The most the decoded weighted mean can differ from the exact one, clipping aside. */
    public double meanErrorBound(int clients, long totalWeight) {
        return clients * Math.scalb(1.0, -(fractionBits + 1)) / totalWeight;
    }
}
