package io.fedge.compression;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Sparsification: of each chunk, only the {@code ceil(fraction * n)} values of largest magnitude
 * are sent, as their positions (a count, then gaps between positions, as varints) followed by
 * their values encoded with the {@code values} codec; the rest decode to zero. Error: a dropped
 * value's whole magnitude (at most the smallest kept one), a kept value's error under
 * {@code values}. Meant to run with error feedback, which sends the dropped part in later rounds.
 */
public final class TopKCodec implements UpdateCodec {
    private final double fraction;
    private final UpdateCodec values;
    private final String name;

    public TopKCodec(double fraction, UpdateCodec values) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("top-k fraction must be in (0, 1]: " + fraction);
        }
        this.fraction = fraction;
        this.values = Objects.requireNonNull(values, "values");
        String f = Double.toString(fraction);
        if (f.endsWith(".0")) {
            f = f.substring(0, f.length() - 2);
        }
        this.name = "topk:" + f + (values instanceof Fp32Codec ? "" : "+" + values.name());
    }

    @Override
    public String name() {
        return name;
    }

    /** How many values a chunk of {@code n} keeps. */
    int kept(int n) {
        return n == 0 ? 0 : (int) Math.min(n, Math.max(1, Math.ceil(fraction * n - 1e-9)));
    }

    @Override
    public int maxEncodedBytes(int elements) {
        int k = kept(elements);
        return Math.addExact(5 + 5 * k, values.maxEncodedBytes(k));
    }

    @Override
    public byte[] encode(float[] in, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, in.length);
        CodecException.requireFinite(name, in, offset, length);
        int k = kept(length);
        int[] positions = largest(in, offset, length, k);
        float[] kept = new float[k];
        for (int i = 0; i < k; i++) {
            kept[i] = in[offset + positions[i]];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(maxEncodedBytes(length));
        writeVarint(out, k);
        int previous = -1;
        for (int p : positions) {
            writeVarint(out, p - previous - 1);
            previous = p;
        }
        out.writeBytes(values.encode(kept, 0, k));
        return out.toByteArray();
    }

    /** The positions (sorted) of the {@code k} largest magnitudes; ties go to the earlier position. */
    static int[] largest(float[] v, int offset, int length, int k) {
        if (k == length) {
            int[] all = new int[length];
            Arrays.setAll(all, i -> i);
            return all;
        }
        float[] mags = new float[length];
        for (int i = 0; i < length; i++) {
            mags[i] = Math.abs(v[offset + i]);
        }
        float threshold = kthLargest(mags.clone(), k);
        int[] out = new int[k];
        int n = 0;
        for (int i = 0; i < length && n < k; i++) {
            if (mags[i] > threshold) {
                out[n++] = i;
            }
        }
        for (int i = 0; i < length && n < k; i++) { // fill with values equal to the threshold
            if (mags[i] == threshold) {
                out[n++] = i;
            }
        }
        Arrays.sort(out);
        return out;
    }

    /** Quickselect: the k-th largest of {@code a} (1-based), reordering {@code a}. */
    private static float kthLargest(float[] a, int k) {
        int target = a.length - k; // index in ascending order
        int lo = 0;
        int hi = a.length - 1;
        java.util.SplittableRandom r = new java.util.SplittableRandom(a.length * 31L + k);
        while (lo < hi) {
            float pivot = a[lo + r.nextInt(hi - lo + 1)];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                break;
            }
        }
        return a[target];
    }

    @Override
    public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
        Objects.checkFromIndexSize(outOffset, length, out.length);
        int k = readVarint(encoded);
        if (k != kept(length)) {
            throw CodecException.of(name, "chunk keeps " + k + " values, " + kept(length) + " expected of " + length);
        }
        int[] positions = new int[k];
        long p = -1;
        for (int i = 0; i < k; i++) {
            p += readVarint(encoded) + 1L;
            if (p >= length) {
                throw CodecException.of(name, "position " + p + " outside a chunk of " + length);
            }
            positions[i] = (int) p;
        }
        float[] kept = new float[k];
        values.decode(encoded, kept, 0, k);
        Arrays.fill(out, outOffset, outOffset + length, 0f);
        for (int i = 0; i < k; i++) {
            out[outOffset + positions[i]] = kept[i];
        }
    }

    private static void writeVarint(ByteArrayOutputStream out, int v) {
        while ((v & ~0x7F) != 0) {
            out.write((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    private int readVarint(ByteBuffer in) {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (!in.hasRemaining()) {
                throw CodecException.of(name, "truncated");
            }
            byte b = in.get();
            v |= (b & 0x7F) << shift;
            if (b >= 0) {
                if (v < 0) {
                    throw CodecException.of(name, "varint out of range");
                }
                return v;
            }
        }
        throw CodecException.of(name, "varint too long");
    }

    @Override
    public boolean wantsErrorFeedback() {
        return true;
    }

    @Override
    public String toString() {
        return name;
    }
}
