package io.fedge.simulation.report;

import io.fedge.coordinator.RoundRecord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryWriterTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @TempDir
    Path tmp;

    private List<Path> writeTwoRounds(Path out) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("partition", "dirichlet");
        config.put("alpha", 0.5);
        config.put("rounds", 2);
        config.put("target", Double.NaN);
        return HistoryWriter.write(out, config, List.of(RoundRecords.FIRST, RoundRecords.FAILED), "test run");
    }

    @Test
    void createsTheFolderAndReturnsTheThreeFiles() throws IOException {
        Path out = tmp.resolve("runs/a");
        List<Path> written = writeTwoRounds(out);
        assertEquals(List.of(out.resolve("history.json"), out.resolve("history.csv"), out.resolve("accuracy.png")),
                written);
        for (Path p : written) {
            assertTrue(Files.size(p) > 0, p + " is empty");
        }
    }

    @Test
    void jsonParsesBackWithConfigInOrderAndNaNAsNull() throws IOException {
        writeTwoRounds(tmp);
        JsonNode root = new ObjectMapper().readTree(tmp.resolve("history.json").toFile());

        JsonNode config = root.get("config");
        List<String> keys = new ArrayList<>();
        config.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("partition", "alpha", "rounds", "target"), keys);
        assertEquals("dirichlet", config.get("partition").asText());
        assertEquals(0.5, config.get("alpha").asDouble());
        assertEquals(2, config.get("rounds").asInt());
        assertTrue(config.get("target").isNull());

        JsonNode rounds = root.get("rounds");
        assertEquals(2, rounds.size());
        JsonNode first = rounds.get(0);
        assertEquals(1, first.get("round").asLong());
        assertTrue(first.get("succeeded").asBoolean());
        assertEquals(1, first.get("model_version").asLong());
        assertEquals(10, first.get("selected").asInt());
        assertEquals(9, first.get("clients").asInt());
        assertEquals(1, first.get("failures").asInt());
        assertEquals(0.8123, first.get("test_accuracy").asDouble());
        assertEquals(0.5432, first.get("test_loss").asDouble());
        assertEquals(0.6789, first.get("train_loss").asDouble());
        assertTrue(first.get("federated_accuracy").isNull());
        assertEquals(4.567, first.get("round_seconds").asDouble());
        assertEquals(0.25, first.get("eval_seconds").asDouble());
        assertEquals(12_345_678L, first.get("bytes_up").asLong());
        assertEquals(45_678_901L, first.get("bytes_down").asLong());
        assertTrue(first.get("secagg_client_seconds").isNull(), "no secure aggregation in this round");
        assertTrue(first.get("secagg_coordinator_seconds").isNull());
        assertEquals("", first.get("outcome").asText());
        assertEquals(0, first.get("not_counted").size());
        assertEquals(18, first.size());

        JsonNode failed = rounds.get(1);
        assertEquals(2, failed.get("round").asLong());
        assertTrue(!failed.get("succeeded").asBoolean());
        assertTrue(failed.get("test_accuracy").isNull());
        assertTrue(failed.get("test_loss").isNull());
        assertTrue(failed.get("train_loss").isNull());
        assertEquals(30.0, failed.get("round_seconds").asDouble());
        assertEquals(1_000_000L, failed.get("bytes_down").asLong());
        assertEquals("0 of 10 updates accepted, 5 needed", failed.get("outcome").asText());
        assertEquals("client-7", failed.get("not_counted").get(0).get("client_id").asText());
        assertEquals("no verified update before the deadline", failed.get("not_counted").get(0).get("reason").asText());
    }

    @Test
    void csvHasAHeaderAndOneHandCheckedLinePerRound() throws IOException {
        writeTwoRounds(tmp);
        List<String> lines = Files.readAllLines(tmp.resolve("history.csv"), StandardCharsets.UTF_8);
        assertEquals(List.of(
                "round,test_accuracy,test_loss,train_loss,round_seconds,eval_seconds,"
                        + "bytes_up,bytes_down,clients,selected,failures,succeeded,test_macro_f1,test_mae",
                "1,0.8123,0.5432,0.6789,4.567,0.25,12345678,45678901,9,10,1,true,,",
                "2,,,,30.0,0.0,0,1000000,0,10,10,false,,"), lines);
    }

    private static RoundRecord withMetrics(RoundRecord r, Map<String, Double> metrics) {
        return new RoundRecord(r.round(), r.succeeded(), r.modelVersion(), r.selected(), r.clients(), r.failures(),
                r.testAccuracy(), r.testLoss(), r.trainLoss(), r.federatedAccuracy(), r.roundSeconds(), r.evalSeconds(),
                r.bytesUp(), r.bytesDown(), r.secAggClientSeconds(), r.secAggCoordinatorSeconds(), r.outcome(),
                r.notCounted(), r.strategyMetrics(), metrics);
    }

    @Test
    void aClassifiersMetricsAreGroupedPerClassNameWithTheConfusionMatrix() throws IOException {
        io.fedge.core.metrics.ClassificationMetrics m = io.fedge.core.metrics.ClassificationMetrics.of(
                new int[] {0, 1, 1}, new int[] {0, 1, 0}, 2, 0.9);
        Map<String, Double> flat = new java.util.HashMap<>(m.toMap());
        flat.put("federated_loss", 0.4);
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        HistoryWriter.describeData(config, io.fedge.core.metrics.Task.CLASSIFICATION, List.of("cat", "dog"));
        HistoryWriter.write(tmp, config, List.of(withMetrics(RoundRecords.FIRST, flat)), "t");
        JsonNode root = new ObjectMapper().readTree(tmp.resolve("history.json").toFile());
        assertEquals("classification", root.get("config").get("task").asText());
        JsonNode e = root.get("rounds").get(0).get("evaluation");
        // dog: 2 examples, 1 predicted right; precision 1/1, recall 1/2, F1 2/3; cat: precision 1/2, recall 1, F1 2/3
        assertEquals(2.0 / 3, e.get("macro_f1").asDouble(), 1e-15);
        assertEquals(1.0, e.get("classes").get("dog").get("precision").asDouble());
        assertEquals(0.5, e.get("classes").get("dog").get("recall").asDouble());
        assertEquals(2, e.get("classes").get("dog").get("support").asLong());
        assertEquals("[[1,0],[1,1]]", e.get("confusion").toString());
        assertEquals(0.4, e.get("federated_loss").asDouble());
        List<String> csv = Files.readAllLines(tmp.resolve("history.csv"));
        assertTrue(csv.get(1).endsWith(",true," + (2.0 / 3) + ","), csv.get(1));
    }

    @Test
    void aRegressionHasNoAccuracyItsMseIsTheLossAndItsTargetsAreNamed() throws IOException {
        io.fedge.core.metrics.RegressionMetrics m = io.fedge.core.metrics.RegressionMetrics.of(
                new float[] {1, 2}, new float[] {2, 2}, 1);
        RoundRecord r = withMetrics(new RoundRecord(1, true, 1, 2, 2, 0, Double.NaN, m.mse(), 0.7, Double.NaN, 1, 0.1,
                10, 10, Double.NaN, Double.NaN), m.toMap());
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        HistoryWriter.describeData(config, io.fedge.core.metrics.Task.REGRESSION, List.of("price"));
        HistoryWriter.write(tmp, config, List.of(r), "regression");
        JsonNode round = new ObjectMapper().readTree(tmp.resolve("history.json").toFile()).get("rounds").get(0);
        assertTrue(round.get("test_accuracy").isNull());
        assertEquals(0.5, round.get("test_loss").asDouble());
        assertEquals(0.5, round.get("evaluation").get("targets").get("price").get("mse").asDouble());
        assertEquals(0.5, round.get("evaluation").get("mae").asDouble());
        assertTrue(Files.readAllLines(tmp.resolve("history.csv")).get(1).endsWith(",true,,0.5"));
        assertTrue(AccuracyChart.isRegression(new double[] {Double.NaN}, new double[] {0.5}));
        assertFalse(AccuracyChart.isRegression(new double[] {Double.NaN}, new double[] {Double.NaN}));
        assertFalse(AccuracyChart.isRegression(new double[] {0.3}, new double[] {0.5}));
        assertEquals(900, ImageIO.read(tmp.resolve("accuracy.png").toFile()).getWidth());
    }

    @Test
    void pngIsAValidImageOfTheChartSize() throws IOException {
        writeTwoRounds(tmp);
        Path png = tmp.resolve("accuracy.png");
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > PNG_SIGNATURE.length);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, PNG_SIGNATURE.length));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(500, image.getHeight());
    }

    @Test
    void writesAnEmptyHistory() throws IOException {
        HistoryWriter.write(tmp, Map.of(), List.of(), "nothing yet");
        JsonNode root = new ObjectMapper().readTree(tmp.resolve("history.json").toFile());
        assertEquals(0, root.get("rounds").size());
        assertEquals(1, Files.readAllLines(tmp.resolve("history.csv")).size());
        assertTrue(Files.size(tmp.resolve("accuracy.png")) > 0);
    }
}
