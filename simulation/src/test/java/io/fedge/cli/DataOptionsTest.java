package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data options of the fedge CLI: bad data and contradictory options give one line naming the
 * file, line or option; a regression and a natural partition run end to end on tiny CSV tables.
 */
class DataOptionsTest {
    @TempDir
    Path dir;

    private static String oneLine(CliRun r, int exit, String mentions) {
        assertEquals(exit, r.exit(), "exit code; stderr: " + r.err() + "\nstdout: " + r.out());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, "one line, got:\n" + r.err());
        assertTrue(lines[0].contains(mentions), "mentions '" + mentions + "': " + lines[0]);
        assertFalse(r.err().contains("at io.fedge"), r.err());
        return lines[0];
    }

    /** A run whose System.out (where simulate prints its summary) is captured. */
    private static CliRun capturingStdout(String... args) {
        java.io.PrintStream saved = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            CliRun r = CliRun.of(args);
            return new CliRun(r.exit(), r.out() + captured.toString(java.nio.charset.StandardCharsets.UTF_8), r.err());
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void aMissingFileNamesThePath() {
        Path absent = dir.resolve("absent.csv");
        oneLine(CliRun.of("simulate", "--data-format", "csv", "--train", absent.toString(), "--test-fraction", "0.2"),
                2, "no such file: " + absent);
        oneLine(CliRun.of("client", "--index", "0", "--data-format", "images", "--train", absent.toString()), 2,
                "no such file: " + absent);
    }

    @Test
    void fashionMnistMissingSaysWhatToInstall() {
        oneLine(CliRun.of("simulate", "--data", dir.resolve("nothing").toString(), "--rounds", "1"), 1,
                "sudo apt-get install -y dataset-fashion-mnist");
    }

    @Test
    void badDataNamesTheFileAndLine() throws IOException {
        Path f = Files.writeString(dir.resolve("bad.csv"), "1,2,a\n3,x,b\n");
        oneLine(CliRun.of("simulate", "--data-format", "csv", "--train", f.toString(), "--test-fraction", "0.5"), 1,
                f + ":2: feature column 1: 'x' is not a number");
    }

    @Test
    void optionsThatDoNotFitTheFormatOrEachOtherAreRefused() {
        oneLine(CliRun.of("simulate", "--label-column", "3"), 2, "--label-column reads CSV tables");
        oneLine(CliRun.of("simulate", "--channels", "3"), 2, "--channels reads image folders");
        oneLine(CliRun.of("simulate", "--data-format", "parquet"), 2, "--data-format must be one of idx, images, csv, npy");
        oneLine(CliRun.of("simulate", "--data-format", "csv"), 2, "needs the training data: --train PATH");
        oneLine(CliRun.of("simulate", "--data-format", "csv", "--train", "t.csv", "--delimiter", ";;"), 2,
                "--delimiter must be one character");
        oneLine(CliRun.of("simulate", "--task", "regression"), 2, "--task regression needs --data-format csv or npy");
        oneLine(CliRun.of("simulate", "--data-format", "npy", "--train", "x.npy"), 2, "give --train-labels");
        oneLine(CliRun.of("simulate", "--partition", "natural", "--clients", "5"), 2, "drop --clients");
        oneLine(CliRun.of("simulate", "--evaluate", "nowhere"), 2, "--evaluate must be one of server, clients, both");
        oneLine(CliRun.of("simulate", "--test-fraction", "0.2"), 2, "--test and --test-fraction go with --train");
    }

    @Test
    void aRegressionTrainsAndReportsItsMseWithoutAccuracy() throws IOException {
        StringBuilder b = new StringBuilder("a,b,y\n");
        Random r = new Random(3);
        for (int i = 0; i < 200; i++) {
            double x1 = r.nextDouble();
            double x2 = r.nextDouble();
            b.append(x1).append(',').append(x2).append(',').append(2 * x1 - x2 + 0.5).append('\n');
        }
        Path f = Files.writeString(dir.resolve("reg.csv"), b);
        Path out = dir.resolve("out");
        CliRun run = capturingStdout("simulate", "--data-format", "csv", "--header", "--task", "regression", "--label-column",
                "y", "--train", f.toString(), "--test-fraction", "0.25", "--clients", "2", "--rounds", "3",
                "--lr", "0.1", "--parallel", "1", "--no-progress", "--out", out.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("final test loss (MSE)"), run.out());
        JsonNode history = new ObjectMapper().readTree(out.resolve("history.json").toFile());
        assertEquals("regression", history.get("config").get("task").asText());
        assertEquals("y", history.get("config").get("targets").get(0).asText());
        JsonNode last = history.get("rounds").get(2);
        assertTrue(last.get("test_accuracy").isNull());
        double mse = last.get("test_loss").asDouble();
        assertEquals(mse, last.get("evaluation").get("mse").asDouble(), 1e-6 * mse);
        assertEquals(mse, last.get("evaluation").get("targets").get("y").get("mse").asDouble(), 1e-6 * mse);
        // y has variance 5/12 + 1/12 = 0.5 around its mean: three rounds of SGD must do better than a constant
        assertTrue(mse < 0.5, "mse " + mse);
        assertTrue(last.get("evaluation").get("mae").asDouble() > 0);
    }

    @Test
    void aNaturalPartitionEvaluatedOnTheClientsNeedsNoTestSet() throws IOException {
        StringBuilder b = new StringBuilder();
        Random r = new Random(4);
        long[] perLabel = new long[3];
        for (int i = 0; i < 150; i++) {
            int label = r.nextInt(3);
            perLabel[label]++;
            b.append("user").append(i % 3).append(',').append(label + r.nextGaussian() * 0.1).append(',')
                    .append(-label).append(',').append("class").append(label).append('\n');
        }
        Path f = Files.writeString(dir.resolve("users.csv"), b);
        Path out = dir.resolve("out");
        CliRun run = capturingStdout("simulate", "--data-format", "csv", "--client-column", "0", "--train", f.toString(),
                "--partition", "natural", "--evaluate", "clients", "--rounds", "2", "--parallel", "1",
                "--no-progress", "--out", out.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("final federated evaluation (the clients' own data): accuracy"), run.out());
        JsonNode history = new ObjectMapper().readTree(out.resolve("history.json").toFile());
        assertEquals(3, history.get("config").get("clients").asInt(), "a client per user");
        JsonNode last = history.get("rounds").get(1);
        assertTrue(last.get("test_accuracy").isNull(), "no server-side evaluation");
        assertTrue(last.get("federated_accuracy").asDouble() > 0);
        assertTrue(last.get("evaluation").get("federated_loss").asDouble() > 0);
        assertEquals(3, last.get("clients").asInt());
        // the clients' confusion matrices, summed by the coordinator: every row of the file once, each
        // class as often as the file has it, and the accuracy the clients' example-weighted mean gives
        JsonNode federated = last.get("evaluation").get("federated");
        JsonNode confusion = federated.get("confusion");
        assertEquals(3, confusion.size());
        long total = 0;
        long correct = 0;
        for (int a = 0; a < 3; a++) {
            long support = 0;
            for (int p = 0; p < 3; p++) {
                support += confusion.get(a).get(p).asLong();
            }
            assertEquals(perLabel[a], support, "class " + a + "'s rows in the file");
            total += support;
            correct += confusion.get(a).get(a).asLong();
        }
        assertEquals(150, total);
        assertEquals(last.get("federated_accuracy").asDouble(), correct / 150.0, 1e-9);
        assertTrue(federated.get("macro_f1").isNumber(), federated.toString());
        assertTrue(run.out().contains("macro-F1 "), run.out());
    }
}
