package io.fedge.edge;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8 engine against float arithmetic done here by hand, within bounds derived from the
 * quantization steps; and the signed file format.
 */
class EdgeModelTest {
    private static final Random R = new Random(42);

    private static float[] gaussian(int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (R.nextGaussian() * sd);
        }
        return v;
    }

    /** Symmetric per-row int8 quantization, written independently of the exporter. */
    private record Quantized(byte[] q, float[] scales) {
        static Quantized of(float[] w, int rows) {
            int cols = w.length / rows;
            byte[] q = new byte[w.length];
            float[] s = new float[rows];
            for (int r = 0; r < rows; r++) {
                float max = 0;
                for (int c = 0; c < cols; c++) {
                    max = Math.max(max, Math.abs(w[r * cols + c]));
                }
                s[r] = max / 127;
                for (int c = 0; c < cols; c++) {
                    q[r * cols + c] = (byte) Math.round(w[r * cols + c] / s[r]);
                }
            }
            return new Quantized(q, s);
        }
    }

    private static int[] biasInts(float[] b, float inScale, float[] wScales) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = Math.round(b[i] / (inScale * wScales[i]));
        }
        return out;
    }

    private static KeyPair ed25519() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    @Test
    void aDenseLayerIsWithinItsQuantizationBound() {
        int in = 64;
        int out = 10;
        float[] w = gaussian(in * out, 0.2);
        float[] b = gaussian(out, 0.1);
        float[] x = new float[in];
        for (int i = 0; i < in; i++) {
            x[i] = R.nextFloat(); // like pixels in [0, 1)
        }
        float inScale = 1f / 127;
        Quantized qw = Quantized.of(w, out);
        QuantizedDense layer = new QuantizedDense(in, out, qw.q(), qw.scales(), biasInts(b, inScale, qw.scales()),
                inScale, 0, false);
        EdgeModel model = new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER, new int[] {in}, inScale, List.of(layer));
        float[] logits = model.logits(x);
        for (int o = 0; o < out; o++) {
            double exact = b[o];
            double bound = inScale * qw.scales()[o] / 2; // the bias's rounding
            for (int i = 0; i < in; i++) {
                exact += (double) x[i] * w[o * in + i];
                double wHat = qw.q()[o * in + i] * (double) qw.scales()[o];
                bound += Math.abs(x[i]) * qw.scales()[o] / 2 + Math.abs(wHat) * inScale / 2;
            }
            assertTrue(Math.abs(logits[o] - exact) <= bound * 1.0001 + 1e-6,
                    "logit " + o + ": " + logits[o] + " vs " + exact + ", bound " + bound);
        }
    }

    /** A float convolution + ReLU + pool + dense reference, and the same network quantized. */
    @Test
    void aSmallCnnAgreesWithItsFloatReference() throws Exception {
        int c0 = 1;
        int c1 = 4;
        int hw = 8;
        int k = 3;
        float[] cw = gaussian(c1 * c0 * k * k, 0.4);
        float[] cb = gaussian(c1, 0.05);
        int flat = c1 * (hw / 2) * (hw / 2);
        float[] dw = gaussian(10 * flat, 0.2);
        float[] db = gaussian(10, 0.05);
        float[][] inputs = new float[200][];
        float maxConv = 0;
        for (int n = 0; n < inputs.length; n++) {
            inputs[n] = new float[c0 * hw * hw];
            for (int i = 0; i < inputs[n].length; i++) {
                inputs[n][i] = R.nextFloat();
            }
            for (float v : conv(inputs[n], cw, cb, c0, c1, hw, k)) {
                maxConv = Math.max(maxConv, v);
            }
        }
        float inScale = 1f / 127;
        float convScale = maxConv / 127; // calibrated on these inputs
        Quantized qc = Quantized.of(cw, c1);
        Quantized qd = Quantized.of(dw, 10);
        List<EdgeLayer> layers = List.of(
                new QuantizedConv2d(c0, c1, hw, hw, k, qc.q(), qc.scales(), biasInts(cb, inScale, qc.scales()), inScale,
                        convScale, true),
                new MaxPool2d(c1, hw, hw, 2),
                new QuantizedDense(flat, 10, qd.q(), qd.scales(), biasInts(db, convScale, qd.scales()), convScale, 0,
                        false));
        EdgeModel full = new EdgeModel(Map.of("name", "tiny"), EdgeModel.Mode.FULL_INTEGER, new int[] {c0, hw, hw},
                inScale, layers);
        EdgeModel weightOnly = new EdgeModel(Map.of(), EdgeModel.Mode.WEIGHT_ONLY, new int[] {c0, hw, hw}, 0, layers);
        int agreeFull = 0;
        int agreeWeights = 0;
        double worstWeights = 0;
        for (float[] x : inputs) {
            float[] reference = dense(pool(conv(x, cw, cb, c0, c1, hw, k), c1, hw), dw, db, flat);
            int best = argmax(reference);
            agreeFull += full.classify(x) == best ? 1 : 0;
            agreeWeights += weightOnly.classify(x) == best ? 1 : 0;
            float[] z = weightOnly.logits(x);
            for (int o = 0; o < 10; o++) {
                worstWeights = Math.max(worstWeights, Math.abs(z[o] - reference[o]));
            }
        }
        assertTrue(agreeFull >= 190, "full-integer agrees on " + agreeFull + " of 200");
        assertTrue(agreeWeights >= 195, "weight-only agrees on " + agreeWeights + " of 200");
        assertTrue(worstWeights < 0.1, "weight-only logits off by " + worstWeights);

        KeyPair keys = ed25519();
        byte[] file = full.write(keys.getPrivate());
        EdgeModel back = EdgeModel.read(file, keys.getPublic());
        assertEquals("tiny", back.metadata().get("name"));
        for (float[] x : inputs) {
            assertArrayEquals(full.logits(x), back.logits(x), "read back bit for bit");
        }
        float[] p = back.predict(inputs[0]);
        double sum = 0;
        for (float v : p) {
            sum += v;
        }
        assertEquals(1.0, sum, 1e-5);
    }

    @Test
    void aSparseLayerComputesWhatItsDenseFormDoesInAThirdOfTheBytes() throws Exception {
        int in = 300;
        int out = 20;
        float[] w = gaussian(in * out, 0.2);
        for (int i = 0; i < w.length; i++) {
            if (R.nextDouble() < 0.9) {
                w[i] = 0; // 90% sparse
            }
        }
        Quantized q = Quantized.of(w, out);
        int[] b = biasInts(gaussian(out, 0.1), 0.01f, q.scales());
        QuantizedDense dense = new QuantizedDense(in, out, q.q(), q.scales(), b, 0.01f, 0.05f, true);
        SparseQuantizedDense sparse = SparseQuantizedDense.of(in, out, q.q(), q.scales(), b, 0.01f, 0.05f, true);
        assertTrue(sparse.storedBytes() < dense.storedBytes() / 2.5, sparse.storedBytes() + " vs " + dense.storedBytes());
        assertArrayEquals(q.q(), sparse.densified().weights());
        for (int t = 0; t < 50; t++) {
            byte[] x = new byte[in];
            float[] xf = new float[in];
            for (int i = 0; i < in; i++) {
                x[i] = (byte) (R.nextInt(255) - 127);
                xf[i] = x[i] * 0.01f;
            }
            byte[] yd = new byte[out];
            byte[] ys = new byte[out];
            dense.forward(x, yd, null);
            sparse.forward(x, ys, null);
            assertArrayEquals(yd, ys);
            float[] fd = new float[out];
            float[] fs = new float[out];
            dense.forward(xf, fd);
            sparse.forward(xf, fs);
            assertArrayEquals(fd, fs, 1e-4f);
        }
        Quantized head = Quantized.of(gaussian(out * 10, 0.3), 10);
        EdgeModel model = new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER, new int[] {in}, 0.01f, List.of(sparse,
                new QuantizedDense(out, 10, head.q(), head.scales(), new int[10], 0.05f, 0, false)));
        KeyPair keys = ed25519();
        EdgeModel back = EdgeModel.read(model.write(keys.getPrivate()), keys.getPublic());
        float[] input = new float[in];
        for (int i = 0; i < in; i++) {
            input[i] = R.nextFloat();
        }
        assertArrayEquals(model.logits(input), back.logits(input));
        assertTrue(back.layers().get(0) instanceof SparseQuantizedDense);
    }

    @Test
    void sparseKernelsAreStoredCompactlyAndReadBackExactly() throws Exception {
        float[] cw = gaussian(16 * 8 * 9, 0.3);
        for (int i = 0; i < cw.length; i++) {
            if (R.nextDouble() < 0.8) {
                cw[i] = 0;
            }
        }
        Quantized qc = Quantized.of(cw, 16);
        QuantizedConv2d conv = new QuantizedConv2d(8, 16, 6, 6, 3, qc.q(), qc.scales(), new int[16], 0.01f, 0.02f, true);
        QuantizedConv2d dense = new QuantizedConv2d(8, 16, 6, 6, 3, Quantized.of(gaussian(16 * 8 * 9, 0.3), 16).q(),
                qc.scales(), new int[16], 0.01f, 0.02f, true);
        // 3 bytes per non-zero weight against 1 per weight: at 80% zeros, about 0.6 of the weight bytes
        assertTrue(conv.storedBytes() < 0.8 * dense.storedBytes(), conv.storedBytes() + " vs " + dense.storedBytes());
        Quantized head = Quantized.of(gaussian(10 * 16 * 36, 0.2), 10);
        EdgeModel model = new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER, new int[] {8, 6, 6}, 0.01f, List.of(conv,
                new QuantizedDense(16 * 36, 10, head.q(), head.scales(), new int[10], 0.02f, 0, false)));
        KeyPair keys = ed25519();
        EdgeModel back = EdgeModel.read(model.write(keys.getPrivate()), keys.getPublic());
        assertArrayEquals(qc.q(), ((QuantizedConv2d) back.layers().get(0)).weights());
        float[] x = new float[8 * 36];
        for (int i = 0; i < x.length; i++) {
            x[i] = R.nextFloat();
        }
        assertArrayEquals(model.logits(x), back.logits(x));
    }

    @Test
    void aPinnedKeyIsReadFromItsPemFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        KeyPair keys = ed25519();
        java.nio.file.Path pem = dir.resolve("model-signing.pub");
        java.nio.file.Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(keys.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        assertArrayEquals(keys.getPublic().getEncoded(), EdgeModelFetcher.readPublicKey(pem).getEncoded());
        java.nio.file.Files.writeString(pem, "not a key");
        assertThrows(IOException.class, () -> EdgeModelFetcher.readPublicKey(pem));
    }

    @Test
    void aTamperedOrForeignFileIsRefusedBeforeItIsParsed() throws Exception {
        KeyPair keys = ed25519();
        Quantized q = Quantized.of(gaussian(40, 0.3), 4);
        EdgeModel m = new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER, new int[] {10}, 0.01f,
                List.of(new QuantizedDense(10, 4, q.q(), q.scales(), new int[4], 0.01f, 0, false)));
        byte[] file = m.write(keys.getPrivate());
        for (int at : new int[] {0, 9, file.length / 2, file.length - 65, file.length - 1}) {
            byte[] bad = file.clone();
            bad[at] ^= 1;
            assertThrows(SecurityException.class, () -> EdgeModel.read(bad, keys.getPublic()), "flipped byte " + at);
        }
        assertThrows(SecurityException.class, () -> EdgeModel.read(file, ed25519().getPublic()), "another key");
        assertThrows(IOException.class, () -> EdgeModel.read(new byte[10], keys.getPublic()));
    }

    private static float[] conv(float[] x, float[] w, float[] b, int c0, int c1, int hw, int k) {
        float[] y = new float[c1 * hw * hw];
        int pad = k / 2;
        for (int o = 0; o < c1; o++) {
            for (int r = 0; r < hw; r++) {
                for (int c = 0; c < hw; c++) {
                    double acc = b[o];
                    for (int ch = 0; ch < c0; ch++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int rr = r + ky - pad;
                                int cc = c + kx - pad;
                                if (rr >= 0 && rr < hw && cc >= 0 && cc < hw) {
                                    acc += w[((o * c0 + ch) * k + ky) * k + kx] * x[(ch * hw + rr) * hw + cc];
                                }
                            }
                        }
                    }
                    y[(o * hw + r) * hw + c] = (float) Math.max(0, acc);
                }
            }
        }
        return y;
    }

    private static float[] pool(float[] x, int c1, int hw) {
        int h = hw / 2;
        float[] y = new float[c1 * h * h];
        for (int o = 0; o < c1; o++) {
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < h; c++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int d = 0; d < 4; d++) {
                        m = Math.max(m, x[(o * hw + 2 * r + d / 2) * hw + 2 * c + d % 2]);
                    }
                    y[(o * h + r) * h + c] = m;
                }
            }
        }
        return y;
    }

    private static float[] dense(float[] x, float[] w, float[] b, int in) {
        float[] y = new float[b.length];
        for (int o = 0; o < b.length; o++) {
            double acc = b[o];
            for (int i = 0; i < in; i++) {
                acc += (double) w[o * in + i] * x[i];
            }
            y[o] = (float) acc;
        }
        return y;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
