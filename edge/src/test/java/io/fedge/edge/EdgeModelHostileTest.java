package io.fedge.edge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Malformed edge files that carry a valid signature (a signing key used by a buggy or hostile
 * exporter): each is refused with an {@link IOException} naming what is wrong, before anything is
 * allocated for what the file only claims; and random corruptions of a file holding every layer
 * never end in anything but a model that runs or such a refusal.
 */
class EdgeModelHostileTest {
    private static final QuantizedDense HEAD = new QuantizedDense(8, 2, new byte[16], new float[] {0.1f, 0.1f},
            new int[2], 0.01f, 0, false);

    /** A format-2 body: header for {@code shape}, then the layers' bytes. */
    private static byte[] file(int[] shape, int layers, EdgeFiles.Bytes body) {
        return EdgeFiles.signed(EdgeFiles.header(2, 0, shape, 0.01f, layers).raw(body.bytes()).bytes());
    }

    private static EdgeFiles.Bytes layers(EdgeLayer... ls) {
        EdgeFiles.Bytes b = new EdgeFiles.Bytes();
        for (EdgeLayer l : ls) {
            b.layer(l);
        }
        return b;
    }

    /** A format-2 quantization block with {@code channels} channels and the activation bytes given. */
    private static EdgeFiles.Bytes quantization(EdgeFiles.Bytes b, int channels, int... activation) {
        b.b(activation).f(0.01f, 0.02f);
        for (int i = 0; i < channels; i++) {
            b.f(0.01f);
        }
        for (int i = 0; i < channels; i++) {
            b.i(0);
        }
        return b;
    }

    private static int[] window(int h, int w, int k, int s, int pad) {
        return new int[] {h, w, k, k, s, s, pad, pad, pad, pad};
    }

    static Stream<Arguments> malformed() {
        Supplier<byte[]> base = () -> EdgeFiles.signed(EdgeFiles.header(2, 0, new int[] {8}, 0.01f, 1)
                .layer(HEAD).bytes());
        return Stream.of(
                Arguments.of("format 3", (Supplier<byte[]>) () -> EdgeFiles.signed(
                        EdgeFiles.header(3, 0, new int[] {8}, 0.01f, 1).layer(HEAD).bytes()),
                        "unsupported edge model format 3 (this reader knows 1 and 2)"),
                Arguments.of("mode 2", (Supplier<byte[]>) () -> EdgeFiles.signed(
                        EdgeFiles.header(2, 2, new int[] {8}, 0.01f, 1).layer(HEAD).bytes()), "unknown mode 2"),
                Arguments.of("input rank 2", (Supplier<byte[]>) () -> file(new int[] {2, 4}, 1, layers(HEAD)),
                        "input rank 2: the input is a vector [n] or an image [channels, height, width]"),
                Arguments.of("input rank 4", (Supplier<byte[]>) () -> file(new int[] {1, 2, 2, 2}, 1, layers(HEAD)),
                        "input rank out of range: 4 (1 to 3)"),
                Arguments.of("input dimension 0", (Supplier<byte[]>) () -> file(new int[] {1, 0, 8}, 1, layers(HEAD)),
                        "input dimension 1 out of range: 0 (1 to 16777216)"),
                Arguments.of("input of 2^25 values", (Supplier<byte[]>) () -> file(new int[] {32, 1024, 1024}, 1,
                        layers(HEAD)), "inconsistent edge model: the input holds more than 16777216 values"),
                Arguments.of("negative input scale", (Supplier<byte[]>) () -> EdgeFiles.signed(
                        EdgeFiles.header(2, 0, new int[] {8}, -1f, 1).layer(HEAD).bytes()), "bad scale -1.0"),
                Arguments.of("input shape against the first layer", (Supplier<byte[]>) () -> file(new int[] {2, 4, 8}, 2,
                        layers(new MaxPool2d(1, 8, 8, 2), new QuantizedDense(16, 2, new byte[32], new float[] {1, 1},
                                new int[2], 1, 0, false))),
                        "inconsistent edge model: layer 0 (MaxPool2d) reads 1x8x8 but gets 2x4x8"),
                Arguments.of("unknown layer type", (Supplier<byte[]>) () -> file(new int[] {8}, 1,
                        new EdgeFiles.Bytes().b(9)), "layer 0: unknown layer type 9"),
                Arguments.of("a format-2 layer in a format-1 file", (Supplier<byte[]>) () -> EdgeFiles.signed(
                        EdgeFiles.header(1, 0, new int[] {1, 4, 4}, 0.01f, 1).b(6).bytes()),
                        "layer 0: unknown layer type 6 in a format-1 file"),
                Arguments.of("unknown activation", (Supplier<byte[]>) () -> file(new int[] {8}, 1,
                        quantization(new EdgeFiles.Bytes().b(1).i(8, 2), 2, 7)),
                        "layer 0: unknown activation 7 (known: 0-4)"),
                Arguments.of("leaky slope 1.5", (Supplier<byte[]>) () -> file(new int[] {8}, 1,
                        new EdgeFiles.Bytes().b(1).i(8, 2).b(2).f(1.5f)),
                        "layer 0: leaky ReLU's negative slope must be in [0, 1): 1.5"),
                Arguments.of("a last layer with an activation", (Supplier<byte[]>) () -> file(new int[] {8}, 1,
                        quantization(new EdgeFiles.Bytes().b(1).i(8, 2), 2, 3).raw(new byte[16])),
                        "inconsistent edge model: an edge model ends with a dense layer without activation (the "
                                + "logits), not one with tanh"),
                Arguments.of("a dense layer claiming more weights than the file holds", (Supplier<byte[]>) () ->
                        file(new int[] {100_000}, 1, quantization(new EdgeFiles.Bytes().b(1).i(100_000, 2_000), 2_000, 0)),
                        "layer 0: dense 100000x2000 weights need 200000000 bytes, the file has 0 left"),
                Arguments.of("a dense layer of 2^17 + 1 inputs", (Supplier<byte[]>) () -> file(new int[] {8}, 1,
                        new EdgeFiles.Bytes().b(1).i((1 << 17) + 1, 1)),
                        "layer 0: dense inputs out of range: 131073 (1 to 131072)"),
                Arguments.of("channels claimed beyond the file", (Supplier<byte[]>) () -> file(new int[] {8}, 1,
                        new EdgeFiles.Bytes().b(1).i(8, 1 << 24).b(0)),
                        "layer 0: scales and biases of 16777216 channels need 134217736 bytes, the file has 0 left"),
                Arguments.of("a bias that can overflow the accumulator", (Supplier<byte[]>) () -> file(
                        new int[] {100_000}, 1, new EdgeFiles.Bytes().b(1).i(100_000, 1).b(0).f(0.01f, 0).f(0.01f)
                                .i(Integer.MAX_VALUE).raw(new byte[100_000])),
                        "layer 0: channel 0: bias 2147483647 plus 100000 int8 products can overflow the int32 "
                                + "accumulator"),
                Arguments.of("a NaN weight scale", (Supplier<byte[]>) () -> file(new int[] {8}, 1,
                        new EdgeFiles.Bytes().b(1).i(8, 1).b(0).f(0.01f, 0).f(Float.NaN).i(0).raw(new byte[8])),
                        "layer 0: bad scale NaN"),
                Arguments.of("stride 0", (Supplier<byte[]>) () -> file(new int[] {1, 8, 8}, 1,
                        new EdgeFiles.Bytes().b(3).i(1).i(window(8, 8, 2, 0, 0))),
                        "layer 0: bad window: stride must be 1 to 64: 0x0"),
                Arguments.of("padding as large as the window", (Supplier<byte[]>) () -> file(new int[] {1, 8, 8}, 1,
                        new EdgeFiles.Bytes().b(3).i(1).i(window(8, 8, 2, 2, 2))),
                        "layer 0: bad window: padding (top, left, bottom, right) 2, 2, 2, 2 must be non-negative and "
                                + "less than the window 2x2"),
                Arguments.of("a window larger than the input", (Supplier<byte[]>) () -> file(new int[] {1, 2, 2}, 1,
                        new EdgeFiles.Bytes().b(6).i(1).i(window(2, 2, 5, 1, 1)).b(0)),
                        "layer 0: bad window: window 5x5 is larger than the padded input 4x4"),
                Arguments.of("an include-padding flag of 2", (Supplier<byte[]>) () -> file(new int[] {1, 4, 4}, 1,
                        new EdgeFiles.Bytes().b(6).i(1).i(window(4, 4, 2, 2, 0)).b(2)),
                        "layer 0: average pooling's include-padding flag must be 0 or 1, not 2"),
                Arguments.of("an unknown global pooling", (Supplier<byte[]>) () -> file(new int[] {1, 4, 4}, 1,
                        new EdgeFiles.Bytes().b(7).b(5).i(1, 4, 4)),
                        "layer 0: unknown global pooling 5 (0 max, 1 average)"),
                Arguments.of("a convolution of 2^17 + 1 channels", (Supplier<byte[]>) () -> file(new int[] {1, 4, 4}, 1,
                        new EdgeFiles.Bytes().b(2).i((1 << 16) + 1, 1)),
                        "layer 0: input channels out of range: 65537 (1 to 65536)"),
                Arguments.of("a convolution of too many weights for the file", (Supplier<byte[]>) () -> file(
                        new int[] {64, 8, 8}, 1, quantization(new EdgeFiles.Bytes().b(2).i(64, 1024)
                                .i(window(8, 8, 3, 1, 1)), 1024, 1)),
                        "layer 0: convolution weights need 589824 bytes, the file has 0 left"),
                Arguments.of("a sparse kernel position out of order", (Supplier<byte[]>) () -> file(new int[] {1, 4, 4},
                        1, quantization(new EdgeFiles.Bytes().b(5).i(1, 1).i(window(4, 4, 3, 1, 1)), 1, 1)
                                .i(2).b(0, 5, 1, 0, 3, 1)),
                        "layer 0: sparse kernel position 3 out of order or range"),
                Arguments.of("a residual block inside a residual block", (Supplier<byte[]>) () -> file(new int[] {1, 4, 4},
                        1, new EdgeFiles.Bytes().b(8).b(1).f(0.1f, 0.1f, 0.1f).i(1).b(8)),
                        "layer 0: a residual block inside a residual block"),
                Arguments.of("a residual block without a main branch", (Supplier<byte[]>) () -> file(new int[] {1, 4, 4},
                        1, new EdgeFiles.Bytes().b(8).b(1).f(0.1f, 0.1f, 0.1f).i(0)),
                        "layer 0: residual main branch layer count out of range: 0 (1 to 64)"),
                Arguments.of("residual branches of different shapes", (Supplier<byte[]>) () -> file(new int[] {1, 4, 4},
                        1, new EdgeFiles.Bytes().b(8).b(1).f(0.1f, 0.1f, 0.1f).i(1)
                                .layer(new MaxPool2d(1, 4, 4, 2)).i(0)),
                        "layer 0: inconsistent residual block: a residual block adds branches of one shape: the main "
                                + "branch gives 1x2x2, the shortcut 1x4x4"),
                Arguments.of("a layer cut short in its header", (Supplier<byte[]>) () -> {
                    byte[] whole = EdgeFiles.header(2, 0, new int[] {8}, 0.01f, 1).layer(HEAD).bytes();
                    return EdgeFiles.signed(Arrays.copyOf(whole, whole.length - 48)); // the type byte and one more
                }, "layer 0 of 1 is cut short"),
                Arguments.of("a layer cut short in its weights", (Supplier<byte[]>) () -> {
                    byte[] whole = EdgeFiles.header(2, 0, new int[] {8}, 0.01f, 1).layer(HEAD).bytes();
                    return EdgeFiles.signed(Arrays.copyOf(whole, whole.length - 3));
                }, "layer 0: dense 8x2 weights need 16 bytes, the file has 13 left"),
                Arguments.of("a cut-short header", (Supplier<byte[]>) () -> EdgeFiles.signed(
                        new EdgeFiles.Bytes().i(0x46454D31, 2, 0).b(0).i(1).bytes()), "edge model is cut short"),
                Arguments.of("stray bytes", (Supplier<byte[]>) () -> EdgeFiles.signed(EdgeFiles.header(2, 0,
                        new int[] {8}, 0.01f, 1).layer(HEAD).b(0, 0).bytes()), "2 stray bytes after the layers"),
                Arguments.of("the well-formed base of these", base, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void aMalformedSignedFileIsRefusedNamingWhatIsWrong(String what, Supplier<byte[]> file, String message)
            throws Exception {
        byte[] bytes = file.get();
        if (message == null) {
            EdgeModel m = EdgeModel.read(bytes, EdgeFiles.KEYS.getPublic());
            assertEquals(2, m.classes());
            return;
        }
        IOException e = assertThrows(IOException.class, () -> EdgeModel.read(bytes, EdgeFiles.KEYS.getPublic()), what);
        assertEquals(message, e.getMessage(), what);
    }

    /**
     * Random corruptions (flipped, overwritten, inserted and removed bytes, cut ends) of a file with
     * every layer, each signed again: read either refuses with an IOException or gives a model
     * whose inference runs; nothing else escapes.
     */
    @Test
    void randomCorruptionsAreRefusedOrRun() {
        byte[] full = EdgeLayersTest.everyLayer(EdgeModel.Mode.FULL_INTEGER).write(EdgeFiles.KEYS.getPrivate());
        byte[] weights = EdgeLayersTest.everyLayer(EdgeModel.Mode.WEIGHT_ONLY).write(EdgeFiles.KEYS.getPrivate());
        Random r = new Random(2024);
        int refused = 0;
        int parsed = 0;
        for (int t = 0; t < 2_000; t++) {
            byte[] source = t % 2 == 0 ? full : weights;
            byte[] body = Arrays.copyOf(source, source.length - 64);
            body = mutate(body, r);
            byte[] file = EdgeFiles.signed(body);
            try {
                EdgeModel m = EdgeModel.read(file, EdgeFiles.KEYS.getPublic());
                float[] x = new float[m.inputSize()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = r.nextFloat();
                }
                m.predict(x);
                parsed++;
            } catch (IOException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "refusals say why");
                refused++;
            } catch (RuntimeException | OutOfMemoryError e) {
                fail("corruption " + t + " escaped as " + e, e);
            }
        }
        assertTrue(refused > 700 && parsed > 30, refused + " refused, " + parsed + " parsed and ran");
    }

    private static byte[] mutate(byte[] body, Random r) {
        byte[] b = body;
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = 8 + r.nextInt(b.length - 8); // past the magic and format, which have their own tests
            switch (r.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[at] = (byte) r.nextInt(256);
                case 2 -> {
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) r.nextInt(256);
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
                case 3 -> {
                    byte[] shorter = new byte[b.length - 1];
                    System.arraycopy(b, 0, shorter, 0, at);
                    System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
                    b = shorter;
                }
                default -> b = Arrays.copyOf(b, at);
            }
            if (b.length <= 8) {
                break;
            }
        }
        return b;
    }

    @Test
    void aFileFromAnotherKeyOrTamperedWithIsRefusedBeforeParsing() throws Exception {
        byte[] file = EdgeLayersTest.everyLayer(EdgeModel.Mode.FULL_INTEGER).write(EdgeFiles.KEYS.getPrivate());
        for (int at : new int[] {5, 40, file.length / 2, file.length - 65, file.length - 1}) {
            byte[] bad = file.clone();
            bad[at] ^= 1;
            assertThrows(SecurityException.class, () -> EdgeModel.read(bad, EdgeFiles.KEYS.getPublic()), "byte " + at);
        }
        java.security.KeyPair other = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        assertThrows(SecurityException.class, () -> EdgeModel.read(file, other.getPublic()));
        EdgeModel m = new EdgeModel(Map.of(), EdgeModel.Mode.FULL_INTEGER, new int[] {8}, 0.01f, List.of(HEAD));
        assertEquals(2, EdgeModel.read(m.write(EdgeFiles.KEYS.getPrivate()), EdgeFiles.KEYS.getPublic()).classes());
    }
}
