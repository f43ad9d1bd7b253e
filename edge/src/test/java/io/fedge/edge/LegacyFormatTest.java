package io.fedge.edge;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Files of format 1 (fedge's edge format before input shapes other than Fashion-MNIST's, strides,
 * padding, new layers and activations), built here byte by byte as that format was written: they
 * are read into the same model the constructors build, and written back as format 2.
 */
class LegacyFormatTest {
    private static final Random R = new Random(5);

    private static byte[] int8(int n) {
        byte[] q = new byte[n];
        for (int i = 0; i < n; i++) {
            q[i] = (byte) (R.nextInt(255) - 127);
        }
        return q;
    }

    private static float[] scales(int n) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = 0.001f + R.nextFloat() * 0.01f;
        }
        return s;
    }

    private static int[] biases(int n) {
        int[] b = new int[n];
        for (int i = 0; i < n; i++) {
            b[i] = R.nextInt(2001) - 1000;
        }
        return b;
    }

    /** Format 1's quantization block: ReLU flag, input and output scale, weight scales, biases. */
    private static EdgeFiles.Bytes quantization(EdgeFiles.Bytes b, boolean relu, float in, float out, float[] scales,
                                                int[] biases) {
        b.b(relu ? 1 : 0).f(in, out).f(scales);
        return b.i(biases);
    }

    @Test
    void aFormatOneFileReadsAsTheModelItDescribes() throws Exception {
        // conv 1->2 (3x3 same, ReLU) on 6x6, max pool 2, sparse conv 2->2 (3x3 same, ReLU) on 3x3,
        // sparse dense 18->4 (ReLU), dense 4->3: every layer type format 1 had
        byte[] w1 = int8(2 * 9);
        float[] s1 = scales(2);
        int[] b1 = biases(2);
        byte[] w2 = int8(2 * 2 * 9);
        for (int i = 0; i < w2.length; i++) {
            w2[i] = i % 4 == 0 ? w2[i] : 0; // 75% zeros: stored sparse
        }
        float[] s2 = scales(2);
        int[] b2 = biases(2);
        byte[] w3 = int8(18 * 4);
        for (int i = 0; i < w3.length; i++) {
            w3[i] = i % 5 == 0 ? w3[i] : 0;
        }
        float[] s3 = scales(4);
        int[] b3 = biases(4);
        byte[] w4 = int8(4 * 3);
        float[] s4 = scales(3);
        int[] b4 = biases(3);
        float in = 1f / 127;
        float a1 = 0.02f;
        float a2 = 0.03f;
        float a3 = 0.05f;

        EdgeFiles.Bytes body = new EdgeFiles.Bytes().i(0x46454D31, 1);
        byte[] meta = "student=cnn-small\nteacher_version=7\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        body.i(meta.length).raw(meta).b(0).i(3, 1, 6, 6).f(in).i(5);
        quantization(body.b(2).i(1, 2, 6, 6, 3), true, in, a1, s1, b1).raw(w1);
        body.b(3).i(2, 6, 6, 2);
        quantization(body.b(5).i(2, 2, 3, 3, 3), true, a1, a2, s2, b2);
        int nonZeros = 0;
        for (byte v : w2) {
            nonZeros += v != 0 ? 1 : 0;
        }
        body.i(nonZeros);
        for (int i = 0; i < w2.length; i++) {
            if (w2[i] != 0) {
                body.b(i >> 8, i & 0xff, w2[i]);
            }
        }
        quantization(body.b(4).i(18, 4), true, a2, a3, s3, b3);
        SparseQuantizedDense sparse = SparseQuantizedDense.of(18, 4, w3, s3, b3, a2, a3, true);
        body.i(sparse.nonZeros());
        ByteBuffer rows = ByteBuffer.allocate(4 * 5 + 2 * sparse.nonZeros() + sparse.nonZeros());
        int n = 0;
        int[] starts = new int[5];
        byte[] values = new byte[sparse.nonZeros()];
        char[] columns = new char[sparse.nonZeros()];
        for (int o = 0; o < 4; o++) {
            starts[o] = n;
            for (int i = 0; i < 18; i++) {
                if (w3[o * 18 + i] != 0) {
                    columns[n] = (char) i;
                    values[n++] = w3[o * 18 + i];
                }
            }
        }
        starts[4] = n;
        for (int s : starts) {
            rows.putInt(s);
        }
        for (char c : columns) {
            rows.putChar(c);
        }
        rows.put(values);
        body.raw(rows.array());
        quantization(body.b(1).i(4, 3), false, a3, 0, s4, b4).raw(w4);
        byte[] file = EdgeFiles.signed(body.bytes());

        EdgeModel read = EdgeModel.read(file, EdgeFiles.KEYS.getPublic());
        EdgeModel built = new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER, new int[] {1, 6, 6}, in, List.of(
                new QuantizedConv2d(1, 2, 6, 6, 3, w1, s1, b1, in, a1, true),
                new MaxPool2d(2, 6, 6, 2),
                new QuantizedConv2d(2, 2, 3, 3, 3, w2, s2, b2, a1, a2, true),
                sparse,
                new QuantizedDense(4, 3, w4, s4, b4, a3, 0, false)));
        assertEquals("cnn-small", read.metadata().get("student"));
        assertEquals("7", read.metadata().get("teacher_version"));
        assertArrayEquals(new int[] {1, 6, 6}, read.inputShape());
        assertEquals(3, read.classes());
        assertArrayEquals(w2, ((QuantizedConv2d) read.layers().get(2)).weights());
        assertEquals(EdgeActivation.RELU, ((QuantizedConv2d) read.layers().get(0)).quantization().activation());
        assertEquals(EdgeActivation.IDENTITY, ((QuantizedDense) read.layers().get(4)).quantization().activation());
        assertEquals(Window2d.same(6, 6, 3, 3, 1, 1), ((QuantizedConv2d) read.layers().get(0)).window());
        assertEquals(Window2d.valid(6, 6, 2, 2, 2, 2), ((MaxPool2d) read.layers().get(1)).window());
        assertInstanceOf(SparseQuantizedDense.class, read.layers().get(3));

        byte[] again = read.write(EdgeFiles.KEYS.getPrivate());
        assertEquals(EdgeModel.FORMAT, ByteBuffer.wrap(again, 4, 4).getInt(), "written back as format 2");
        EdgeModel reread = EdgeModel.read(again, EdgeFiles.KEYS.getPublic());
        for (int t = 0; t < 50; t++) {
            float[] x = new float[36];
            for (int i = 0; i < x.length; i++) {
                x[i] = R.nextFloat();
            }
            float[] expected = built.logits(x);
            assertArrayEquals(expected, read.logits(x), "format 1 read as the constructors build it");
            assertArrayEquals(expected, reread.logits(x), "and written as format 2 without change");
        }
    }

    @Test
    void aFormatOneWeightOnlyMlpReadsToo() throws Exception {
        byte[] w1 = int8(10 * 5);
        float[] s1 = scales(5);
        int[] b1 = biases(5);
        byte[] w2 = int8(5 * 2);
        float[] s2 = scales(2);
        int[] b2 = biases(2);
        EdgeFiles.Bytes body = new EdgeFiles.Bytes().i(0x46454D31, 1, 0).b(1).i(1, 10).f(0.01f).i(2);
        quantization(body.b(1).i(10, 5), true, 0.01f, 0.02f, s1, b1).raw(w1);
        quantization(body.b(1).i(5, 2), false, 0.02f, 0, s2, b2).raw(w2);
        EdgeModel read = EdgeModel.read(EdgeFiles.signed(body.bytes()), EdgeFiles.KEYS.getPublic());
        EdgeModel built = new EdgeModel(Map.of(), EdgeModel.Mode.WEIGHT_ONLY, new int[] {10}, 0.01f, List.of(
                new QuantizedDense(10, 5, w1, s1, b1, 0.01f, 0.02f, true),
                new QuantizedDense(5, 2, w2, s2, b2, 0.02f, 0, false)));
        assertEquals(EdgeModel.Mode.WEIGHT_ONLY, read.mode());
        float[] x = {0.1f, 0.9f, 0.3f, 0.5f, 0.2f, 0.8f, 0.4f, 0.6f, 0.7f, 0.05f};
        assertArrayEquals(built.logits(x), read.logits(x));
    }
}
