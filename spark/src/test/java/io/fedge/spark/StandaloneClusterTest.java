package io.fedge.spark;

import io.fedge.coordinator.RoundListener;
import io.fedge.coordinator.RoundRecord;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.model.ModelSource;
import io.fedge.simulation.Simulation;
import io.fedge.simulation.SimulationConfig;
import io.fedge.simulation.SimulationResult;
import io.fedge.simulation.engine.ClientEngines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spark engine on a real standalone cluster: a master and a worker in their own JVMs, the
 * clients in executor JVMs the worker starts, the coordinator in this (the driver's) JVM.
 */
class StandaloneClusterTest {
    private static final Pattern HOSTING = Pattern.compile("hosting (\\d+) clients .* on executor (\\d+) on ");
    static StandaloneCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        // under target/, not a JUnit temporary folder: its jars are links into the Maven repository
        Path home = Path.of("target", "spark-test-home").toAbsolutePath();
        if (Files.exists(home)) {
            try (java.util.stream.Stream<Path> old = Files.walk(home)) {
                for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        cluster = StandaloneCluster.start(Files.createDirectories(home), 2, "2500m");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Map<String, String> options() {
        return Map.of("master", cluster.masterUrl(), "spark.driver.host", "127.0.0.1",
                "spark.executor.memory", "2g");
    }

    /**
     * How many clients the executors' logs (but those in {@code earlier}) say they hosted, per
     * executor id. Each share counts once per log: an executor's stderr can hold a line twice when
     * its buffered copy is flushed again at SIGTERM (seen once under load: the same line, same
     * timestamp, after "RECEIVED SIGNAL TERM").
     */
    private static Map<String, Integer> hosted(List<Path> earlier) throws Exception {
        Map<String, Integer> byExecutor = new java.util.TreeMap<>();
        for (Path log : cluster.executorLogs()) {
            if (earlier.contains(log)) {
                continue;
            }
            Matcher m = HOSTING.matcher(Files.readString(log));
            java.util.Set<String> shares = new java.util.HashSet<>();
            while (m.find()) {
                if (shares.add(m.group())) {
                    byExecutor.merge(m.group(2), Integer.parseInt(m.group(1)), Integer::sum);
                }
            }
        }
        return byExecutor;
    }

    @Test
    void executorsOfAWorkerGiveTheInProcessModelOverMutualTls() throws Exception {
        // the clients' certificates and keys travel to the executor JVM with their shares
        SimulationConfig config = SparkEngineTest.config(true, null);
        List<Path> earlier = cluster.executorLogs();
        SimulationResult inProcess = new Simulation(config).run();
        SimulationResult spark = new Simulation(config, ClientEngines.create("spark", options())).run();
        assertEquals(2, spark.model().version());
        for (RoundRecord r : spark.rounds()) {
            assertTrue(r.succeeded(), r.toString());
            assertEquals(6, r.clients(), r.toString());
        }
        double diff = SparkEngineTest.maxDifference(inProcess.model().parameters(), spark.model().parameters());
        assertTrue(diff < 1e-5, "largest parameter difference " + diff);
        // the six clients ran in the worker's executor JVM (two tasks of three), none in this one
        Map<String, Integer> hosted = hosted(earlier);
        assertEquals(6, hosted.values().stream().mapToInt(Integer::intValue).sum(), hosted.toString());
        assertFalse(hosted.containsKey("driver"), hosted.toString());
    }

    @Test
    void aKilledExecutorsClientsComeBackAndTheFederationFinishes() throws Exception {
        int before = cluster.executorLogs().size();
        SimulationConfig config = new SimulationConfig(ModelSource.named("mlp"), "dirichlet", 0.5, 6, 6, 3, 1, 32, 0.1,
                11, FashionMnist.DEFAULT_DIR, null, 2, 1000, 3000, false, false, "fp32", false, List.of(), 0, 0,
                null, 0, SparkEngineTest.TIMEOUTS, "fedavg");
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger executorsKilled = new AtomicInteger();
        RoundListener killer = new RoundListener() {
            @Override
            public void clientFinished(long round, String clientId, boolean accepted) {
                // mid-round 2: the first update is in, the others are being trained
                if (round == 2 && killed.compareAndSet(false, true)) {
                    for (ProcessHandle executor : cluster.executors()) {
                        executor.destroyForcibly(); // SIGKILL
                        executorsKilled.incrementAndGet();
                    }
                }
            }
        };
        SimulationResult result = new Simulation(config, ClientEngines.create("spark", options()), killer).run();
        assertEquals(1, executorsKilled.get());
        assertEquals(3, result.model().version());
        List<RoundRecord> rounds = result.rounds();
        assertTrue(rounds.stream().anyMatch(r -> r.round() == 2 && !r.succeeded() || r.failures() > 0),
                "the kill cost round 2 its updates: " + rounds);
        assertEquals(3, rounds.stream().filter(RoundRecord::succeeded).count(), rounds.toString());
        // Spark started a second executor for this application and ran the lost tasks there
        assertEquals(before + 2, cluster.executorLogs().size(), cluster.executorLogs().toString());
        assertTrue(result.finalAccuracy() > 0.5, "accuracy " + result.finalAccuracy());
    }
}
