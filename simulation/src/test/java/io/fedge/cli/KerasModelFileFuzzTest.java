package io.fedge.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded mutants of the Keras test files ({@link KerasFuzzChild#mutate}: bytes flipped, runs
 * inserted and deleted, the file cut) read as a model file: each is imported, or refused in one
 * line naming the file; nothing else escapes. The mutants run in a child JVM, so that a crash
 * (HDF5's C library ended the JVM on the 16th mutant before the files were read in Java, and
 * ND4J's natives are below the import) fails this test with the seed that caused it instead of
 * ending the suite.
 */
class KerasModelFileFuzzTest {
    private static final int MUTANTS = 3000;

    @TempDir
    static Path files;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeModels() throws Exception {
        KerasTestFiles.write(files);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void everyMutantIsImportedOrRefusedInOneLine(String model) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                KerasFuzzChild.class.getName(), files.resolve(model + ".h5").toString(), dir.toString(), "0",
                Integer.toString(MUTANTS))
                .redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (var out = p.inputReader(StandardCharsets.UTF_8)) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child finished");
        String lastTry = "";
        int tried = 0;
        int imported = 0;
        int refused = 0;
        List<String> escaped = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("try ")) {
                lastTry = line.substring(4);
                tried++;
            } else if (line.startsWith("ok ")) {
                imported++;
            } else if (line.startsWith("refused ")) {
                refused++;
            } else if (line.startsWith("ESCAPED")) {
                escaped.add(line);
            }
        }
        assertEquals(0, p.exitValue(), "the child JVM ended with " + p.exitValue() + " on mutant seed " + lastTry
                + " of " + model + ".h5 (KerasFuzzChild.mutate(valid, new Random(seed)) rebuilds it)");
        assertEquals("done", lines.get(lines.size() - 1));
        assertEquals(List.of(), escaped, "every mutant imported or refused in one line naming the file");
        assertEquals(MUTANTS, tried);
        assertEquals(MUTANTS, imported + refused, "an outcome for every mutant");
        // the campaign reaches both sides: damage the reader refuses, and damage inside weights it imports
        assertTrue(refused > MUTANTS / 2, refused + " refused");
        assertTrue(imported > MUTANTS / 20, imported + " imported");
    }
}
