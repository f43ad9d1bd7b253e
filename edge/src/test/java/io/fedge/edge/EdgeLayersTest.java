package io.fedge.edge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Format 2's layers against float references written here, independently of the engine: strided,
 * padded and non-square convolutions, the activations, average and global pooling, residual
 * blocks. The int8 paths are held to their quantization bounds: with the reference computed on the
 * dequantized inputs and weights (the accumulator is exact), a requantized output is within half
 * an output step of it, an average within half an input step.
 */
class EdgeLayersTest {
    private static final Random R = new Random(17);

    private static byte[] int8(int n, int low) {
        byte[] q = new byte[n];
        for (int i = 0; i < n; i++) {
            q[i] = (byte) (low + R.nextInt(128 - low));
        }
        return q;
    }

    private static float activate(String kind, double v) {
        return switch (kind) {
            case "identity" -> (float) v;
            case "relu" -> (float) Math.max(0, v);
            case "leaky" -> (float) (v < 0 ? 0.1 * v : v);
            case "tanh" -> (float) Math.tanh(v);
            case "sigmoid" -> (float) (1 / (1 + Math.exp(-v)));
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static EdgeActivation activation(String kind) {
        return switch (kind) {
            case "identity" -> EdgeActivation.IDENTITY;
            case "relu" -> EdgeActivation.RELU;
            case "leaky" -> EdgeActivation.leakyRelu(0.1f);
            case "tanh" -> EdgeActivation.TANH;
            case "sigmoid" -> EdgeActivation.SIGMOID;
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** A direct convolution: every output sums its window, cells outside the input are zero. */
    private static float[] conv(float[] x, float[] w, float[] b, int c0, int c1, Window2d g, String act) {
        int oh = g.outHeight();
        int ow = g.outWidth();
        float[] y = new float[c1 * oh * ow];
        for (int o = 0; o < c1; o++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    double acc = b[o];
                    for (int ch = 0; ch < c0; ch++) {
                        for (int ky = 0; ky < g.kernelHeight(); ky++) {
                            for (int kx = 0; kx < g.kernelWidth(); kx++) {
                                int rr = r * g.strideHeight() + ky - g.padTop();
                                int cc = c * g.strideWidth() + kx - g.padLeft();
                                if (rr >= 0 && rr < g.inHeight() && cc >= 0 && cc < g.inWidth()) {
                                    acc += w[((o * c0 + ch) * g.kernelHeight() + ky) * g.kernelWidth() + kx]
                                            * (double) x[(ch * g.inHeight() + rr) * g.inWidth() + cc];
                                }
                            }
                        }
                    }
                    y[(o * oh + r) * ow + c] = activate(act, acc);
                }
            }
        }
        return y;
    }

    /** Pooling by definition: the max or mean of the window's input cells (mean over the whole window if counted). */
    private static float[] pool(float[] x, int channels, Window2d g, boolean max, boolean includePadding) {
        int oh = g.outHeight();
        int ow = g.outWidth();
        float[] y = new float[channels * oh * ow];
        for (int ch = 0; ch < channels; ch++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    double m = Double.NEGATIVE_INFINITY;
                    double sum = 0;
                    int cells = 0;
                    for (int ky = 0; ky < g.kernelHeight(); ky++) {
                        for (int kx = 0; kx < g.kernelWidth(); kx++) {
                            int rr = r * g.strideHeight() + ky - g.padTop();
                            int cc = c * g.strideWidth() + kx - g.padLeft();
                            if (rr >= 0 && rr < g.inHeight() && cc >= 0 && cc < g.inWidth()) {
                                double v = x[(ch * g.inHeight() + rr) * g.inWidth() + cc];
                                m = Math.max(m, v);
                                sum += v;
                                cells++;
                            }
                        }
                    }
                    int divisor = includePadding ? g.kernelHeight() * g.kernelWidth() : cells;
                    y[(ch * oh + r) * ow + c] = (float) (max ? m : sum / divisor);
                }
            }
        }
        return y;
    }

    private static float[] dequantize(byte[] q, float scale) {
        float[] v = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            v[i] = q[i] * scale;
        }
        return v;
    }

    @Test
    void windowsFollowDl4jsSameAndTruncateModes() {
        Window2d a = Window2d.same(9, 9, 3, 3, 2, 2);
        assertEquals(new Window2d(9, 9, 3, 3, 2, 2, 1, 1, 1, 1), a);
        assertEquals(5, a.outHeight());
        Window2d even = Window2d.same(9, 9, 2, 2, 1, 1); // the odd padding cell at the bottom and right
        assertEquals(new Window2d(9, 9, 2, 2, 1, 1, 0, 0, 1, 1), even);
        assertEquals(9, even.outWidth());
        Window2d pool = Window2d.same(7, 7, 2, 2, 2, 2);
        assertEquals(new Window2d(7, 7, 2, 2, 2, 2, 0, 0, 1, 1), pool);
        assertEquals(4, pool.outHeight());
        assertEquals(4, Window2d.valid(9, 9, 2, 2, 2, 2).outHeight()); // truncate drops the last row
        assertEquals(3, new Window2d(7, 5, 5, 3, 1, 2, 0, 0, 0, 0).outHeight());
        assertEquals(2, new Window2d(7, 5, 5, 3, 1, 2, 0, 0, 0, 0).outWidth());
        assertThrows(IllegalArgumentException.class, () -> new Window2d(8, 8, 3, 3, 1, 1, 3, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Window2d(8, 8, 3, 3, 0, 1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Window2d.valid(2, 8, 3, 3, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Window2d.valid(8, 8, 65, 3, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Window2d.valid(1 << 15, 8, 3, 3, 1, 1));
    }

    /** Kernel, stride, padding (top, left, bottom, right), activation: the 3x3 fast path, the generic path, strides. */
    @ParameterizedTest(name = "{0}x{1} stride {2}x{3} pad {4},{5},{6},{7} {8}")
    @CsvSource({"3, 3, 1, 1, 1, 1, 1, 1, relu", "5, 5, 1, 1, 2, 2, 2, 2, identity", "3, 3, 2, 2, 1, 1, 1, 1, leaky",
            "2, 3, 2, 1, 0, 1, 1, 1, tanh", "1, 1, 2, 2, 0, 0, 0, 0, sigmoid", "4, 2, 3, 2, 0, 0, 2, 1, relu",
            "2, 2, 1, 1, 0, 0, 1, 1, tanh"})
    void aConvolutionIsItsFloatReference(int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, String act) {
        int c0 = 3;
        int c1 = 4;
        Window2d g = new Window2d(9, 8, kh, kw, sh, sw, pt, pl, pb, pr);
        byte[] w = int8(c1 * c0 * kh * kw, -127);
        float[] ws = {0.004f, 0.006f, 0.005f, 0.003f};
        int[] bias = {120, -300, 0, 45};
        float inScale = 0.01f;
        byte[] xq = int8(c0 * 72, -127);
        float[] x = dequantize(xq, inScale);
        float[] wf = new float[w.length];
        int per = c0 * kh * kw;
        float[] bf = new float[c1];
        for (int o = 0; o < c1; o++) {
            for (int j = 0; j < per; j++) {
                wf[o * per + j] = w[o * per + j] * ws[o];
            }
            bf[o] = bias[o] * inScale * ws[o];
        }
        float[] reference = conv(x, wf, bf, c0, c1, g, act);
        float max = 0;
        for (float v : reference) {
            max = Math.max(max, Math.abs(v));
        }
        float outScale = max / 127 * 1.001f; // covers the range: no clipping
        QuantizedConv2d layer = new QuantizedConv2d(c0, c1, g, w,
                new ChannelQuantization(ws, bias, inScale, outScale, activation(act)));
        assertArrayEquals(new int[] {c1, g.outHeight(), g.outWidth()}, layer.outputShape());

        float[] yf = new float[layer.outputSize()];
        layer.forward(x, yf);
        assertArrayEquals(reference, yf, 1e-5f, "weight-only");

        byte[] y = new byte[layer.outputSize()];
        layer.forward(xq, y, null);
        for (int i = 0; i < y.length; i++) {
            assertTrue(Math.abs(y[i] * outScale - reference[i]) <= outScale / 2 * 1.001 + 1e-6,
                    "int8 output " + i + ": " + y[i] * outScale + " vs " + reference[i] + ", step " + outScale);
        }
    }

    @ParameterizedTest
    @CsvSource({"tanh", "sigmoid", "leaky", "identity"})
    void aDenseActivationIsWithinHalfAnOutputStep(String act) {
        int in = 40;
        int out = 6;
        byte[] w = int8(in * out, -127);
        float[] ws = {0.01f, 0.02f, 0.015f, 0.012f, 0.03f, 0.008f};
        int[] bias = {100, -200, 0, 50, -10, 300};
        float inScale = 0.02f;
        byte[] xq = int8(in, -127);
        float[] reference = new float[out];
        for (int o = 0; o < out; o++) {
            double acc = bias[o] * (double) inScale * ws[o];
            for (int i = 0; i < in; i++) {
                acc += xq[i] * (double) inScale * w[o * in + i] * ws[o];
            }
            reference[o] = activate(act, acc);
        }
        float max = 0;
        for (float v : reference) {
            max = Math.max(max, Math.abs(v));
        }
        float outScale = max / 127 * 1.001f;
        QuantizedDense layer = new QuantizedDense(in, out, w, new ChannelQuantization(ws, bias, inScale, outScale,
                activation(act)));
        byte[] y = new byte[out];
        layer.forward(xq, y, null);
        float[] yf = new float[out];
        layer.forward(dequantize(xq, inScale), yf);
        for (int o = 0; o < out; o++) {
            assertTrue(Math.abs(y[o] * outScale - reference[o]) <= outScale / 2 * 1.001 + 1e-6,
                    act + " output " + o + ": " + y[o] * outScale + " vs " + reference[o]);
            assertEquals(reference[o], yf[o], 1e-4 * Math.max(1, Math.abs(reference[o])), "weight-only " + o);
        }
    }

    /** Window, stride, padding (top, left, bottom, right), whether the padding counts in the mean. */
    @ParameterizedTest(name = "{0}x{1} stride {2} pad {3},{4},{5},{6} counted {7}")
    @CsvSource({"2, 2, 2, 0, 0, 0, 0, false", "3, 3, 2, 1, 1, 1, 1, true", "3, 3, 2, 1, 1, 1, 1, false",
            "3, 2, 1, 0, 1, 2, 0, true", "2, 2, 2, 0, 0, 1, 1, false"})
    void poolingIsItsDefinition(int kh, int kw, int s, int pt, int pl, int pb, int pr, boolean counted) {
        int channels = 3;
        Window2d g = new Window2d(7, 6, kh, kw, s, s, pt, pl, pb, pr);
        byte[] xq = int8(channels * 42, -127);
        float[] xf = new float[xq.length];
        for (int i = 0; i < xq.length; i++) {
            xf[i] = xq[i];
        }
        MaxPool2d max = new MaxPool2d(channels, g);
        AvgPool2d avg = new AvgPool2d(channels, g, counted);
        float[] maxRef = pool(xf, channels, g, true, counted);
        float[] avgRef = pool(xf, channels, g, false, counted);
        byte[] y = new byte[max.outputSize()];
        max.forward(xq, y, null);
        float[] yf = new float[max.outputSize()];
        max.forward(xf, yf);
        for (int i = 0; i < y.length; i++) {
            assertEquals(maxRef[i], y[i], "max int8 " + i);
            assertEquals(maxRef[i], yf[i], "max float " + i);
        }
        avg.forward(xq, y, null);
        avg.forward(xf, yf);
        for (int i = 0; i < y.length; i++) {
            assertTrue(Math.abs(y[i] - avgRef[i]) <= 0.5 + 1e-5, "average int8 " + i + ": " + y[i] + " vs " + avgRef[i]);
            assertEquals(avgRef[i], yf[i], 1e-4, "average float " + i);
        }
    }

    @Test
    void globalPoolingTakesEachChannelsMaxOrMean() {
        byte[] xq = {1, -3, 7, 2, /* channel 1 */ -5, -5, -6, -4, /* channel 2 */ 3, 3, 4, 4};
        GlobalPool max = new GlobalPool(GlobalPool.Kind.MAX, 3, 2, 2);
        GlobalPool avg = new GlobalPool(GlobalPool.Kind.AVG, 3, 2, 2);
        byte[] y = new byte[3];
        max.forward(xq, y, null);
        assertArrayEquals(new byte[] {7, -4, 4}, y);
        avg.forward(xq, y, null);
        assertArrayEquals(new byte[] {2, -5, 4}, y, "7/4 = 1.75 -> 2, -20/4 = -5, 14/4 = 3.5 -> 4 (ties to even)");
        float[] yf = new float[3];
        avg.forward(new float[] {1, -3, 7, 2, -5, -5, -6, -4, 3, 3, 4, 4}, yf);
        assertArrayEquals(new float[] {1.75f, -5f, 3.5f}, yf);
        assertArrayEquals(new int[] {3}, avg.outputShape());
    }

    @Test
    void aResidualBlockAddsItsBranchesAtTheirScales() {
        int c = 2;
        Window2d same = Window2d.same(5, 5, 3, 3, 1, 1);
        QuantizedConv2d main = new QuantizedConv2d(c, c, same, int8(c * c * 9, -127), new ChannelQuantization(
                new float[] {0.01f, 0.012f}, new int[] {10, -20}, 0.02f, 0.05f, EdgeActivation.RELU));
        QuantizedConv2d projection = new QuantizedConv2d(c, c, Window2d.valid(5, 5, 1, 1, 1, 1), int8(c * c, -127),
                new ChannelQuantization(new float[] {0.02f, 0.01f}, new int[] {0, 5}, 0.02f, 0.03f,
                        EdgeActivation.IDENTITY));
        byte[] xq = int8(c * 25, -127);
        for (List<EdgeLayer> shortcut : List.of(List.<EdgeLayer>of(), List.<EdgeLayer>of(projection))) {
            float shortcutScale = shortcut.isEmpty() ? 0.02f : 0.03f;
            ResidualBlock block = new ResidualBlock(List.of(main), shortcut, EdgeActivation.RELU, 0.05f, shortcutScale,
                    0.06f);
            byte[] a = new byte[main.outputSize()];
            main.forward(xq, a, null);
            byte[] b = xq;
            if (!shortcut.isEmpty()) {
                b = new byte[projection.outputSize()];
                projection.forward(xq, b, null);
            }
            byte[] y = new byte[block.outputSize()];
            block.forward(xq, y, null);
            for (int i = 0; i < y.length; i++) {
                double sum = Math.max(0, a[i] * 0.05 + b[i] * shortcutScale);
                double expected = Math.min(127, sum / 0.06);
                assertTrue(Math.abs(y[i] - expected) <= 0.5 + 1e-4, "output " + i + ": " + y[i] + " vs " + expected);
            }
            float[] x = dequantize(xq, 0.02f);
            float[] af = new float[main.outputSize()];
            main.forward(x, af);
            float[] bf = x;
            if (!shortcut.isEmpty()) {
                bf = new float[projection.outputSize()];
                projection.forward(x, bf);
            }
            float[] yf = new float[block.outputSize()];
            block.forward(x, yf);
            for (int i = 0; i < yf.length; i++) {
                assertEquals(Math.max(0, af[i] + bf[i]), yf[i], 1e-6f, "weight-only " + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new ResidualBlock(List.of(main),
                List.of(new GlobalPool(GlobalPool.Kind.MAX, c, 5, 5), projection), EdgeActivation.RELU, 1, 1, 1),
                "branches chain");
        assertThrows(IllegalArgumentException.class, () -> new ResidualBlock(List.of(new MaxPool2d(c, Window2d.valid(5,
                5, 2, 2, 2, 2))), List.of(), EdgeActivation.RELU, 1, 1, 1), "branches of one shape");
        ResidualBlock inner = new ResidualBlock(List.of(main), List.of(), EdgeActivation.RELU, 1, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> new ResidualBlock(List.of(inner), List.of(),
                EdgeActivation.RELU, 1, 1, 1), "no nesting");
    }

    /** One model of every layer format 2 has, written and read back: the same logits bit for bit. */
    static EdgeModel everyLayer(EdgeModel.Mode mode) {
        Window2d first = Window2d.same(10, 10, 3, 3, 2, 2);
        QuantizedConv2d stem = new QuantizedConv2d(2, 4, first, int8(4 * 2 * 9, -127), new ChannelQuantization(
                new float[] {0.01f, 0.02f, 0.01f, 0.015f}, new int[] {1, 2, 3, 4}, 0.01f, 0.04f, EdgeActivation.RELU));
        Window2d inner = Window2d.same(5, 5, 3, 3, 1, 1);
        byte[] sparse = int8(4 * 4 * 9, -127);
        for (int i = 0; i < sparse.length; i++) {
            sparse[i] = i % 3 == 0 ? sparse[i] : 0;
        }
        QuantizedConv2d body = new QuantizedConv2d(4, 4, inner, sparse, new ChannelQuantization(
                new float[] {0.01f, 0.01f, 0.01f, 0.01f}, new int[] {0, 0, 5, -5}, 0.04f, 0.05f,
                EdgeActivation.leakyRelu(0.2f)));
        ResidualBlock block = new ResidualBlock(List.of(body), List.of(), EdgeActivation.RELU, 0.05f, 0.04f, 0.06f);
        MaxPool2d max = new MaxPool2d(4, Window2d.same(5, 5, 3, 3, 1, 1));
        AvgPool2d avg = new AvgPool2d(4, Window2d.valid(5, 5, 2, 2, 1, 1), false);
        GlobalPool global = new GlobalPool(GlobalPool.Kind.AVG, 4, 4, 4);
        byte[] hidden = int8(4 * 6, -127);
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = i % 4 == 0 ? hidden[i] : 0;
        }
        EdgeLayer tanh = SparseQuantizedDense.of(4, 6, hidden, new ChannelQuantization(new float[] {0.01f, 0.02f,
                0.01f, 0.02f, 0.01f, 0.02f}, new int[6], 0.06f, 1f / 127, EdgeActivation.TANH));
        QuantizedDense logits = new QuantizedDense(6, 3, int8(18, -127), new ChannelQuantization(
                new float[] {0.01f, 0.02f, 0.03f}, new int[] {1, -1, 0}, 1f / 127, 0, EdgeActivation.IDENTITY));
        return new EdgeModel(Map.of("k", "v"), mode, new int[] {2, 10, 10}, 1f / 127, List.of(stem, block, max, avg,
                global, tanh, logits));
    }

    @Test
    void everyLayerReadsBackBitForBit() throws Exception {
        for (EdgeModel.Mode mode : EdgeModel.Mode.values()) {
            EdgeModel model = everyLayer(mode);
            EdgeModel back = EdgeModel.read(model.write(EdgeFiles.KEYS.getPrivate()), EdgeFiles.KEYS.getPublic());
            assertEquals(model.layers().stream().map(Object::getClass).toList(),
                    back.layers().stream().map(Object::getClass).toList());
            for (int t = 0; t < 20; t++) {
                float[] x = new float[200];
                for (int i = 0; i < x.length; i++) {
                    x[i] = R.nextFloat();
                }
                assertArrayEquals(model.logits(x), back.logits(x), mode + " read back bit for bit");
            }
        }
    }

    @Test
    void theLastLayerEmitsLogitsAndLayersChainByShape() {
        QuantizedDense relu = new QuantizedDense(4, 2, new byte[8], new float[] {1, 1}, new int[2], 1, 1, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EdgeModel(Map.of(),
                EdgeModel.Mode.FULL_INTEGER, new int[] {4}, 1, List.of(relu)));
        assertEquals("an edge model ends with a dense layer without activation (the logits), not one with relu",
                e.getMessage());
        QuantizedConv2d conv = new QuantizedConv2d(1, 1, 4, 4, 3, new byte[9], new float[] {1}, new int[1], 1, 1, true);
        QuantizedDense head = new QuantizedDense(16, 2, new byte[32], new float[] {1, 1}, new int[2], 1, 0, false);
        e = assertThrows(IllegalArgumentException.class, () -> new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER,
                new int[] {1, 2, 8}, 1, List.of(conv, head)));
        assertEquals("layer 0 (QuantizedConv2d) reads 1x4x4 but gets 1x2x8", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER,
                new int[] {1, 4, 4}, 1, List.of(head, head)));
        assertEquals("layer 1 (QuantizedDense) reads 16 values but gets 2 (2)", e.getMessage());
        // a vector of the right size into a convolution is the same channel-first image
        new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER, new int[] {16}, 1, List.of(conv, head));
    }

    @Test
    void anAccumulatorThatCouldOverflowIsRefused() {
        int in = EdgeLayer.MAX_FAN_IN;
        long room = Integer.MAX_VALUE - 127L * 127L * in;
        new QuantizedDense(in, 1, new byte[in], new float[] {1}, new int[] {(int) room}, 1, 0, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QuantizedDense(in, 1,
                new byte[in], new float[] {1}, new int[] {(int) room + 1}, 1, 0, false));
        assertTrue(e.getMessage().contains("can overflow the int32 accumulator"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new QuantizedDense(in + 1, 1, new byte[in + 1],
                new float[] {1}, new int[1], 1, 0, false));
    }
}
