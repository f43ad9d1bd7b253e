package io.fedge.cli;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelFile;
import io.fedge.core.model.ModelPresets;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.EdgeModelFetcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code fedge export}'s student options: presets, none, a configuration file; and what it refuses in one line. */
class ExportCommandTest {
    @TempDir
    Path dir;

    private static String oneLine(CliRun r, int exit, String mentions) {
        assertEquals(exit, r.exit(), "exit code; stderr: " + r.err());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, "one line, got:\n" + r.err());
        assertTrue(lines[0].startsWith("fedge export"), lines[0]);
        assertTrue(lines[0].contains(mentions), "mentions '" + mentions + "': " + lines[0]);
        assertFalse(r.err().contains("at io.fedge"), r.err());
        return lines[0];
    }

    @Test
    void aStudentThatIsNoneOfTheFormsIsAUsageError() throws Exception {
        String line = oneLine(CliRun.of("export", "--model", "m.fgm", "--student", "resnet-tiny"), 2, "--student");
        assertTrue(line.contains("'resnet-tiny' is not one of [mlp-small, cnn-small], not 'none', and no such file"),
                line);
        Path garbage = dir.resolve("student.json");
        Files.writeString(garbage, "{\"confs\": [1, 2]}");
        line = oneLine(CliRun.of("export", "--model", "m.fgm", "--student", garbage.toString()), 2, "--student");
        assertTrue(line.contains("is not a DL4J MultiLayerConfiguration"), line);
    }

    @Test
    void pruningThatCannotApplyToTheStudentIsAUsageError() throws Exception {
        oneLine(CliRun.of("export", "--model", "m.fgm", "--student", "none", "--prune-sparsity", "0.5"), 2,
                "pruning fine-tunes a distilled student; --student none exports the teacher as it is");
        Path file = dir.resolve("mine.json");
        Files.writeString(file, io.fedge.export.StudentPresets.byName("mlp-small", 1, 0.01, null).toJson());
        oneLine(CliRun.of("export", "--model", "m.fgm", "--student", file.toString(), "--prune-keep", "0.5"), 2,
                "--prune-keep cuts the units of the presets");
    }

    /** The federation's own mlp, quantized as it is: the edge model reads Fashion-MNIST's images. */
    @Test
    void theTeacherItselfIsExportedWithStudentNone() throws Exception {
        GlobalModel teacher = Dl4jModels.initialModel(ModelPresets.mlp(1, 0.05));
        Path model = dir.resolve("global-model.fgm");
        ModelFile.write(model, teacher, null);
        Path out = dir.resolve("edge");
        CliRun r = CliRun.of("export", "--model", model.toString(), "--student", "none", "--transfer", "500",
                "--out", out.toString(), "--certs", dir.resolve("no-certs").toString());
        assertEquals(0, r.exit(), r.err());
        EdgeModel edge = EdgeModel.read(Files.readAllBytes(out.resolve("edge-model.fem")),
                EdgeModelFetcher.readPublicKey(out.resolve("edge-model.pub")));
        assertEquals("none", edge.metadata().get("student"));
        assertArrayEquals(new int[] {1, 28, 28}, edge.inputShape());
        assertEquals(10, edge.classes());
        assertEquals(3, edge.layers().size(), "the mlp's three dense layers");
        assertTrue(Files.size(out.resolve("edge-model.onnx")) > 0);
    }
}
