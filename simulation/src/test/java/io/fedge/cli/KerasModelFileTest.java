package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelFile;
import io.fedge.core.model.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keras 2 HDF5 models through DL4J's import ({@link KerasModelFile}): the files are written by
 * {@code keras/write_keras_h5.py} (h5py and numpy, Debian's python3-h5py, laid out as Keras 2's
 * {@code model.save} lays them out), and what each imported network outputs is checked against
 * numpy's float64 forward pass of the same weights, a second path. A short federation starts from
 * the file; broken, uncompiled, weights-only, Keras 3 and oversized files are refused in one line.
 */
class KerasModelFileTest {
    @TempDir
    static Path files;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeModels() throws Exception {
        KerasTestFiles.write(files);
    }

    /** The imported model's outputs for the script's inputs against numpy's, and its parameter count. */
    private static void assertOutputsMatch(String model, int parameters) throws Exception {
        KerasModelFile source = KerasModelFile.read(files.resolve(model + ".h5"));
        GlobalModel g = source.initialModel(InputShape.FASHION_MNIST, 10, 1, 0.05);
        assertEquals(0, g.version());
        assertEquals(parameters, g.parameterCount(), "parameters, counted by hand");
        Network net = Network.fromJson(g.configJson());
        net.setParameters(g.parameters());
        JsonNode expected = new ObjectMapper().readTree(files.resolve(model + "-expected.json").toFile());
        float[][] in = new float[expected.get("inputs").size()][];
        for (int i = 0; i < in.length; i++) {
            JsonNode row = expected.get("inputs").get(i);
            in[i] = new float[row.size()];
            for (int j = 0; j < row.size(); j++) {
                in[i][j] = (float) row.get(j).asDouble();
            }
        }
        INDArray out = net.output(Nd4j.create(in))[0];
        assertEquals(in.length, out.rows());
        assertEquals(10, out.columns());
        double worst = 0;
        for (int i = 0; i < in.length; i++) {
            for (int j = 0; j < 10; j++) {
                worst = Math.max(worst, Math.abs(out.getDouble(i, j) - expected.get("outputs").get(i).get(j).asDouble()));
            }
        }
        assertTrue(worst < 1e-5, model + ": largest difference from numpy's outputs " + worst);
        // DL4J's identity dropout (p = 1 on every imported layer) is gone from the configuration
        assertFalse(g.configJson().contains("\"p\" : 1.0"), g.configJson());
    }

    @Test
    void aSequentialMlpComputesWhatNumpyComputes() throws Exception {
        assertOutputsMatch("mlp", 784 * 32 + 32 + 32 * 10 + 10);
        // no dropout left, dense layers and softmax with cross-entropy: fedge's lean path trains it
        Network net = Network.fromJson(KerasModelFile.read(files.resolve("mlp.h5")).initialModel(
                InputShape.FASHION_MNIST, 10, 1, 0.05).configJson());
        assertEquals(Network.Kind.LAYERS, net.kind());
        assertEquals(2, net.layers().getnLayers(), "Dense and Dense + LossLayer became Dense and OutputLayer");
        assertTrue(net.trainingPath().startsWith("lean training path: dense 784->32 relu, output 32->10 softmax/mcxent"),
                net.trainingPath());
    }

    @Test
    void aChannelsLastConvolutionComputesWhatNumpyComputes() throws Exception {
        assertOutputsMatch("cnn", 3 * 3 * 4 + 4 + 13 * 13 * 4 * 10 + 10);
        // NHWC up to the flattening: made NCHW (the dense rows reordered, which the outputs above
        // check), so the lean path trains it
        Network net = Network.fromJson(KerasModelFile.read(files.resolve("cnn.h5")).initialModel(
                InputShape.FASHION_MNIST, 10, 1, 0.05).configJson());
        assertFalse(net.configJson().contains("NHWC"), "no NHWC layer left");
        assertTrue(net.trainingPath().startsWith("lean training path: conv 3x3 1->4"), net.trainingPath());
    }

    /** Global average pooling is not among the layers made NCHW: the stack stays NHWC, fed by RowsToImagePreProcessor. */
    @Test
    void aChannelsLastStackThatStaysNhwcComputesWhatNumpyComputes() throws Exception {
        assertOutputsMatch("cnn-gap", 3 * 3 * 4 + 4 + 4 * 10 + 10);
        Network net = Network.fromJson(KerasModelFile.read(files.resolve("cnn-gap.h5")).initialModel(
                InputShape.FASHION_MNIST, 10, 1, 0.05).configJson());
        assertTrue(net.configJson().contains("RowsToImagePreProcessor"), net.configJson());
        assertTrue(net.configJson().contains("NHWC"), net.configJson());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void aFederationStartsFromTheKerasWeights(String model) throws Exception {
        Path out = dir.resolve("run");
        CliRun r = CliRun.of("simulate", "--model-config", files.resolve(model + ".h5").toString(), "--clients", "3",
                "--rounds", "2", "--train-limit", "600", "--test-limit", "300", "--parallel", "1", "--batch", "32",
                "--no-progress", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        GlobalModel last = ModelFile.read(out.resolve("global-model.fgm"), null);
        assertEquals(2, last.version(), "two rounds aggregated");
        float[] start = KerasModelFile.read(files.resolve(model + ".h5")).initialModel(InputShape.FASHION_MNIST, 10, 1, 0.05)
                .parameters();
        assertEquals(start.length, last.parameterCount());
        assertFalse(Arrays.equals(start, last.parameters()), "training moved the Keras weights");
        String history = Files.readString(out.resolve("history.json"));
        assertTrue(history.contains("\"keras " + model + ".h5\""), history.substring(0, Math.min(400, history.length())));
    }

    private static String refusal(Path file) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KerasModelFile.read(file));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("Keras model " + file), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aModelSavedBeforeCompileIsRefusedForItsMissingLoss() {
        assertTrue(refusal(files.resolve("uncompiled.h5")).contains("saved without a loss"));
    }

    @Test
    void weightsWithoutTheArchitectureAreRefused() {
        assertTrue(refusal(files.resolve("weights-only.h5")).contains("without Keras's model_config"));
    }

    @Test
    void aTruncatedFileIsRefusedAsDamaged() throws Exception {
        Path cut = dir.resolve("cut.h5");
        byte[] whole = Files.readAllBytes(files.resolve("mlp.h5"));
        Files.write(cut, Arrays.copyOf(whole, 2048));
        String m = refusal(cut);
        assertTrue(m.contains("a damaged HDF5 file"), m);
    }

    @Test
    void garbageAfterTheSignatureIsRefused() throws Exception {
        Path junk = dir.resolve("junk.h5");
        byte[] b = new byte[4096];
        new java.util.Random(7).nextBytes(b);
        System.arraycopy(new byte[] {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'}, 0, b, 0, 8);
        Files.write(junk, b);
        String m = refusal(junk);
        assertTrue(m.contains("a damaged HDF5 file"), m);
    }

    @Test
    void weightsThatDoNotFitTheArchitectureAreRefused() {
        String m = refusal(files.resolve("misfit.h5"));
        assertTrue(m.contains("layer 'dense''s W takes 25088 values, the file holds 25872"), m); // 784 x 32, 784 x 33
    }

    @Test
    void aNonFiniteWeightIsRefused() {
        String m = refusal(files.resolve("nan.h5"));
        assertTrue(m.contains("weight 'dense/dense/bias:0' holds a non-finite value at index 3"), m);
    }

    @Test
    void compressedWeightsAreRefused() {
        String m = refusal(files.resolve("gzip.h5"));
        assertTrue(m.contains("is stored compressed"), m);
    }

    /** 10^7 hidden units would be 7.95 billion parameters (784 x 10^7 + 10^7 + 10^7 x 10 + 10): refused before DL4J allocates any. */
    @Test
    void anArchitectureBiggerThanItsWeightsIsRefusedBeforeAllocation() {
        String m = refusal(files.resolve("huge-config.h5"));
        assertTrue(m.contains("model_config describes 7950000010 parameters, the file holds 25450 weights"), m);
    }

    @Test
    void aKeras3HdfFileIsNamedAsSuch() {
        String m = refusal(files.resolve("keras3.h5"));
        assertTrue(m.contains("written by Keras '3.1.0'; DL4J's import reads the HDF5 files of Keras 1 and 2"), m);
    }

    @Test
    void aKeras3ArchiveIsNamedAsSuch() throws Exception {
        Path keras3 = dir.resolve("model.keras");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(keras3))) {
            z.putNextEntry(new ZipEntry("config.json"));
            z.write("{}".getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        }
        assertTrue(refusal(keras3).contains("Keras 3's .keras format"));
        Path dl4j = dir.resolve("global-model.zip");
        Network.fromJson(io.fedge.core.model.ModelPresets.mlp(1, 0.05, 784, 10).toJson()).save(dl4j);
        assertTrue(refusal(dl4j).contains("DL4J's model zip"));
    }

    @Test
    void aFileOverTheCapIsRefusedBeforeItIsRead() throws Exception {
        Path big = dir.resolve("big.h5");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(KerasModelFile.MAX_BYTES + 1);  // sparse: nothing is written
        }
        assertTrue(refusal(big).contains("more than the " + KerasModelFile.MAX_BYTES));
        assertTrue(refusal(dir.resolve("absent.h5")).contains("no such file"));
    }

    @Test
    void theCommandLineSaysWhyInOneLine() {
        CliRun r = CliRun.of("simulate", "--model-config", files.resolve("uncompiled.h5").toString(), "--rounds", "1",
                "--no-progress", "--out", dir.resolve("x").toString());
        assertEquals(2, r.exit(), r.err());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].contains("saved without a loss"), lines[0]);
    }
}
