package io.fedge.cli;

import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelFile;
import io.fedge.core.model.ModelPresets;
import io.fedge.core.model.ResNetProvider;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --model-config} of either kind runs a short real federation ({@code fedge simulate}: a
 * real coordinator and clients over loopback TCP) whose final model is the configuration given,
 * saved as DL4J's zip of the right kind; bad model options are one line.
 */
class ModelOptionsTest {
    @TempDir
    Path dir;

    private CliRun simulate(Path config, Path out) {
        return CliRun.of("simulate", "--model-config", config.toString(), "--clients", "3", "--rounds", "2",
                "--train-limit", "300", "--test-limit", "200", "--parallel", "1", "--batch", "32", "--no-progress",
                "--out", out.toString());
    }

    /** The .fgm the run wrote and the parameters of its DL4J zip, of the given kind. */
    private static void assertSavedAlike(Path out, boolean graph) throws Exception {
        GlobalModel fgm = ModelFile.read(out.resolve("global-model.fgm"), null);
        assertEquals(2, fgm.version(), "two rounds aggregated");
        float[] zip = graph
                ? ModelSerializer.restoreComputationGraph(out.resolve("global-model.zip").toFile()).params()
                        .toFloatVector()
                : ModelSerializer.restoreMultiLayerNetwork(out.resolve("global-model.zip").toFile()).params()
                        .toFloatVector();
        assertArrayEquals(fgm.parameters(), zip, 0f);
    }

    @Test
    void aLayerStackFromAJsonFileFederates() throws Exception {
        Path config = dir.resolve("small-mlp.json");
        Files.writeString(config, ModelPresets.mlp(3, 0.05, 784, 10).toJson());
        Path out = dir.resolve("mlp");
        CliRun r = simulate(config, out);
        assertEquals(0, r.exit(), r.err());
        assertSavedAlike(out, false);
        String history = Files.readString(out.resolve("history.json"));
        assertTrue(history.matches("(?s).*\"model\"\\s*:\\s*\"config small-mlp.json\".*"), "the history names the model: "
                + history.substring(0, Math.min(300, history.length())));
    }

    @Test
    void aResidualGraphFromAJsonFileFederates() throws Exception {
        Path config = dir.resolve("resnet.json");
        Files.writeString(config, new ResNetProvider().configuration(InputShape.FASHION_MNIST, 10, 1, 0.05).json());
        Path out = dir.resolve("graph");
        CliRun r = simulate(config, out);
        assertEquals(0, r.exit(), r.err());
        assertSavedAlike(out, true);
        GlobalModel fgm = ModelFile.read(out.resolve("global-model.fgm"), null);
        assertEquals(144 + 4800 + 170, fgm.parameterCount());
    }

    private static String oneLine(CliRun r, int exit) {
        assertEquals(exit, r.exit(), r.err());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, r.err());
        assertFalse(r.err().contains("at io.fedge") || r.err().contains("at org."), r.err());
        return lines[0];
    }

    @Test
    void badModelOptionsAreOneLine() throws Exception {
        Path cut = dir.resolve("cut.json");
        String json = ModelPresets.cnn(1, 0.05).toJson();
        Files.writeString(cut, json.substring(0, json.length() / 3));
        String line = oneLine(CliRun.of("simulate", "--model-config", cut.toString()), 2);
        assertTrue(line.contains("model config " + cut) && line.contains("DL4J cannot read"), line);
        line = oneLine(CliRun.of("coordinator", "--model-config", dir.resolve("none.json").toString()), 2);
        assertTrue(line.contains("none.json: no such file"), line);
        line = oneLine(CliRun.of("simulate", "--model", "cnn", "--model-config", cut.toString()), 2);
        assertTrue(line.contains("--model or --model-config, not both"), line);
        line = oneLine(CliRun.of("simulate", "--model", "vgg16"), 2);
        assertTrue(line.contains("vgg16") && line.contains("resnet") && line.contains("simplecnn"), line);
        Path vectors = dir.resolve("vectors.json");
        Files.writeString(vectors, ModelPresets.mlp(1, 0.05, 30, 10).toJson());
        line = oneLine(CliRun.of("simulate", "--model-config", vectors.toString(), "--rounds", "1", "--clients", "2",
                "--train-limit", "50", "--test-limit", "20", "--no-progress", "--out", dir.resolve("v").toString()), 2);
        assertTrue(line.contains("takes 30 values per example") && line.contains("784"), line);
    }

    @Test
    void theHelpListsTheModelProviders() {
        CliRun r = CliRun.of("simulate", "--help");
        assertTrue(r.out().contains("--model-config") && r.out().contains("resnet: small residual graph"), r.out());
        assertTrue(CliRun.of("coordinator", "--help").out().contains("resnet: "));
    }
}
