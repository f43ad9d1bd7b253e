package io.fedge.spark;

import io.fedge.core.data.FashionMnist;
import io.fedge.coordinator.RoundRecord;
import io.fedge.core.model.ModelSource;
import io.fedge.simulation.Simulation;
import io.fedge.simulation.SimulationConfig;
import io.fedge.simulation.SimulationResult;
import io.fedge.simulation.engine.ClientEngine;
import io.fedge.simulation.engine.ClientEngines;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spark engine on {@code local[2]}: a federation whose clients run as Spark tasks gives the
 * model the same federation gives in process (same ids, examples and seeds).
 */
class SparkEngineTest {
    static final SimulationConfig.Timeouts TIMEOUTS = new SimulationConfig.Timeouts(Duration.ofMinutes(5),
            Duration.ofSeconds(30), Duration.ofMinutes(1));

    /** mlp on 3,000 Fashion-MNIST images split Dirichlet(0.5) among 6 clients, 2 rounds, all clients each round. */
    static SimulationConfig config(boolean tls, io.fedge.simulation.attack.Attack attack) {
        return config(tls, false, attack);
    }

    static SimulationConfig config(boolean tls, boolean secureAggregation, io.fedge.simulation.attack.Attack attack) {
        return new SimulationConfig(ModelSource.named("mlp"), "dirichlet", 0.5, 6, 6, 2, 1, 32, 0.1, 7,
                FashionMnist.DEFAULT_DIR, null, 2, 1000, 3000, tls, secureAggregation, "fp32", false, List.of(), 0, 0,
                attack,
                attack == null ? 0 : 1, TIMEOUTS, "fedavg");
    }

    /** The largest difference between two models' parameters. */
    static double maxDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void localSparkGivesTheInProcessModel() throws Exception {
        SimulationResult inProcess = new Simulation(config(false, null)).run();
        ClientEngine engine = ClientEngines.create("spark", Map.of("master", "local[2]"));
        SimulationResult spark = new Simulation(config(false, null), engine).run();
        assertEquals(2, spark.rounds().size());
        for (RoundRecord r : spark.rounds()) {
            assertTrue(r.succeeded(), r.toString());
            assertEquals(6, r.clients(), r.toString());
        }
        assertEquals(2, spark.model().version());
        // the same updates, folded in whatever order they arrive: equal up to float rounding
        double diff = maxDifference(inProcess.model().parameters(), spark.model().parameters());
        assertTrue(diff < 1e-5, "largest parameter difference " + diff);
        assertEquals(inProcess.finalAccuracy(), spark.finalAccuracy(), 0.002);
        // and training moved the model: the comparison is not of two untouched initial models
        SimulationResult oneRound = new Simulation(new SimulationConfig(ModelSource.named("mlp"), "dirichlet", 0.5, 6, 6,
                1, 1, 32, 0.1, 7, FashionMnist.DEFAULT_DIR, null, 2, 1000, 3000, false, false, "fp32", false,
                List.of(), 0, 0, null, 0, TIMEOUTS, "fedavg")).run();
        assertTrue(maxDifference(oneRound.model().parameters(), spark.model().parameters()) > 1e-3);
    }

    @Test
    void overMutualTlsWithSecureAggregationLocalSparkGivesTheInProcessModel() throws Exception {
        SimulationConfig config = config(true, true, null);
        SimulationResult inProcess = new Simulation(config).run();
        SimulationResult spark = new Simulation(config, ClientEngines.create("spark", Map.of("master", "local[2]")))
                .run();
        assertEquals(2, spark.model().version());
        for (RoundRecord r : spark.rounds()) {
            assertTrue(r.succeeded(), r.toString());
            assertEquals(6, r.clients(), r.toString());
            assertTrue(r.secAggCoordinatorSeconds() > 0, "securely aggregated: " + r);
        }
        double diff = maxDifference(inProcess.model().parameters(), spark.model().parameters());
        assertTrue(diff < 1e-5, "largest parameter difference " + diff);
    }

    /**
     * Attackers hosted by Spark tasks do what they do in process: the same model (up to the order
     * updates are folded in) and the same tally of how the coordinator treated them, its side
     * (accepted, clipped, not counted) and theirs (welcomes, tasks, refused joins, heard on the
     * executors). One attack per kind of lie: the update (scaled and sign-flipped), the data
     * (labels flipped) and the Hello (an example count the coordinator refuses at registration).
     */
    @Test
    void attackersOnSparkAreTreatedAsInProcess() throws Exception {
        SimulationResult honest = new Simulation(config(false, null)).run();
        for (String spec : List.of("scale:-4", "labelflip", "examples:4611686018427387904")) {
            io.fedge.simulation.attack.Attack attack = io.fedge.simulation.attack.Attack.parse(spec);
            SimulationResult inProcess = new Simulation(config(false, attack)).run();
            SimulationResult spark = new Simulation(config(false, attack),
                    ClientEngines.create("spark", Map.of("master", "local[2]"))).run();
            assertEquals(inProcess.attacks().lines(), spark.attacks().lines(), spec);
            assertEquals(inProcess.rounds().size(), spark.rounds().size(), spec);
            double diff = maxDifference(inProcess.model().parameters(), spark.model().parameters());
            assertTrue(diff < 1e-5, spec + ": largest parameter difference " + diff);
            assertTrue(maxDifference(honest.model().parameters(), spark.model().parameters()) > 1e-3,
                    spec + ": the attack changed the model");
        }
    }

    @Test
    void aHostWhoseDataDiffersFailsTheJobWithItsReasonInOneLine() throws Exception {
        SimulationConfig config = config(false, null);
        // positions past the end of the 60,000 training images: what a host with a shorter copy sees
        io.fedge.simulation.engine.HostedFederation federation = new io.fedge.simulation.engine.HostedFederation(
                "127.0.0.1", 9, config.data(), List.of(new io.fedge.simulation.engine.ClientShard("client-000",
                new int[] {0, 1, 60_000}, 1, null, false)), Duration.ofSeconds(5), null, false, null);
        java.util.concurrent.CompletableFuture<String> failure = new java.util.concurrent.CompletableFuture<>();
        ClientEngine engine = ClientEngines.create("spark", Map.of("master", "local[1]"));
        try (io.fedge.simulation.engine.EngineSession session = engine.open(config)) {
            session.start(federation, failure::complete);
            String reason = failure.get(2, java.util.concurrent.TimeUnit.MINUTES);
            assertTrue(reason.startsWith("the Spark job hosting the clients failed: "), reason);
            assertTrue(reason.contains("client client-000 names example 60000 but this host's copy of the data "
                    + "holds 60000: the hosts' data differ"), reason);
            assertEquals(1, reason.lines().count(), reason);
            assertEquals(List.of(), session.finish());
        }
    }

    @Test
    void refusesWhatItCannotHostInOneLine() {
        ClientEngine engine = ClientEngines.create("spark", Map.of());
        IllegalArgumentException attack = assertThrows(IllegalArgumentException.class,
                () -> new Simulation(config(false, io.fedge.simulation.attack.Attack.parse("stall")), engine));
        assertEquals("--attack stall is a protocol client of its own, not a FederatedClient a Spark task hosts; "
                + "simulate it in process (without --engine)", attack.getMessage());
        IllegalArgumentException master = assertThrows(IllegalArgumentException.class,
                () -> ClientEngines.create("spark", Map.of("master", "yarn")));
        assertTrue(master.getMessage().contains("spark://HOST:PORT"), master.getMessage());
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                () -> ClientEngines.create("spark", Map.of("executors", "3")));
        assertTrue(key.getMessage().contains("executors"), key.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ClientEngines.create("ray", Map.of()));
        assertEquals("no engine 'ray' on the class path; there are: in-process, spark", unknown.getMessage());
        assertInstanceOf(SparkEngine.class, engine);
    }
}
