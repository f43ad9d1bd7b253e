package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fedge gateway} as its users run it: separate processes for the coordinator, two gateways
 * and four devices, mutual TLS from {@code fedge certs} (gateway certificates included), and one
 * gateway killed with SIGKILL mid-federation and started again with the same command. What it
 * stood for (its two devices) drops out with it; the federation goes on, the devices reconnect to
 * the restarted gateway by themselves, and every process exits 0 when the federation is over.
 */
class GatewayProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FedgeProcesses processes = new FedgeProcesses("768m");

    @AfterEach
    void stopAll() {
        processes.close();
    }

    private static JsonNode rounds(Path history) {
        try {
            return Files.exists(history) ? JSON.readTree(history.toFile()).get("rounds") : JSON.createArrayNode();
        } catch (IOException e) {
            return JSON.createArrayNode(); // rewritten atomically: only a file that does not exist yet
        }
    }

    @Test
    void aGatewayKilledMidFederationTakesItsDevicesOutUntilItIsBack(@TempDir Path tmp) throws Exception {
        Path certs = tmp.resolve("certs");
        String dir = certs.toString();
        assertEquals(0, CliRun.of("certs", "init", "--dir", dir, "--names", "127.0.0.1").exit());
        for (String g : List.of("gw-1", "gw-2")) {
            CliRun r = CliRun.of("certs", "gateway", "--dir", dir, "--id", g, "--names", "127.0.0.1");
            assertEquals(0, r.exit(), r.err());
            assertTrue(Files.isRegularFile(certs.resolve("gateways/" + g + "-model-signing.pub")), r.out());
            assertTrue(Files.isRegularFile(certs.resolve("gateways/" + g + ".crt")), r.out());
        }
        assertEquals(0, CliRun.of("certs", "client", "--dir", dir, "--id", "d0", "--id", "d1", "--id", "d2",
                "--id", "d3").exit());
        int port = FedgeProcesses.freePort();
        int[] gatewayPorts = {FedgeProcesses.freePort(), FedgeProcesses.freePort()};
        Path out = tmp.resolve("coord");
        Process coordinator = processes.start(tmp.resolve("coordinator.log"), "coordinator", "--certs", dir,
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--model", "mlp", "--rounds", "4",
                "--min-clients", "2", "--per-round", "2", "--no-eval", "--round-timeout", "60",
                "--out", out.toString());
        String[][] gateways = new String[2][];
        List<Process> gatewayProcesses = new ArrayList<>();
        for (int g = 0; g < 2; g++) {
            gateways[g] = new String[] {"gateway", "--certs", dir, "--id", "gw-" + (g + 1),
                "--coordinator", "127.0.0.1:" + port, "--listen", "127.0.0.1:" + gatewayPorts[g], "--min-devices", "2"};
            gatewayProcesses.add(processes.start(tmp.resolve("gw-" + (g + 1) + ".log"), gateways[g]));
        }
        List<Process> devices = new ArrayList<>();
        for (int d = 0; d < 4; d++) {
            int g = d / 2;
            devices.add(processes.start(tmp.resolve("d" + d + ".log"), "client", "--certs", dir, "--id", "d" + d,
                    "--coordinator", "127.0.0.1:" + gatewayPorts[g],
                    "--model-key", certs.resolve("gateways/gw-" + (g + 1) + "-model-signing.pub").toString(),
                    "--clients", "24", "--index", Integer.toString(d)));
        }
        Path history = out.resolve("history.json");
        await("a round through both gateways").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(100))
                .until(() -> rounds(history).size() >= 1);
        JsonNode first = rounds(history).get(0);
        assertTrue(first.get("succeeded").asBoolean(), first.toString());
        assertEquals(2, first.get("clients").asInt(), "two partial aggregates: " + first);

        Process killed = gatewayProcesses.get(1);
        killed.destroyForcibly(); // SIGKILL: no Bye to the coordinator or to its devices
        assertTrue(killed.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, killed.exitValue());
        Process restarted = processes.start(tmp.resolve("gw-2-again.log"), gateways[1]);

        assertTrue(coordinator.waitFor(5, TimeUnit.MINUTES), "the federation finished");
        String coordinatorLog = Files.readString(tmp.resolve("coordinator.log"));
        assertEquals(0, coordinator.exitValue(), coordinatorLog);
        int succeeded = 0;
        for (JsonNode r : rounds(history)) {
            succeeded += r.get("succeeded").asBoolean() ? 1 : 0;
        }
        assertEquals(4, succeeded, "four rounds advanced the model: " + rounds(history));
        for (Process p : List.of(gatewayProcesses.get(0), restarted)) {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "each gateway ends with the federation");
            assertEquals(0, p.exitValue());
        }
        String again = Files.readString(tmp.resolve("gw-2-again.log"));
        assertTrue(again.contains("gateway gw-2 round"), "the restarted gateway ran its site's rounds: " + again);
        for (int d = 0; d < 4; d++) {
            Process p = devices.get(d);
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "every device exits when its gateway says the federation is over");
            assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("d" + d + ".log")));
        }
    }

    @Test
    void gatewayOptionsOutsideTheirBoundsAreRefusedInOneLine() {
        String[][] cases = {
            {"--fraction must be in (0, 1]", "gateway", "--insecure", "--id", "g", "--fraction", "0"},
            {"--min-devices", "gateway", "--insecure", "--id", "g", "--min-devices", "0"},
            {"--min-devices", "gateway", "--insecure", "--id", "g", "--secure-aggregation", "--min-devices", "2"},
            {"--max-devices", "gateway", "--insecure", "--id", "g", "--max-devices", "0"},
            {"--listen must be host:port", "gateway", "--insecure", "--id", "g", "--listen", "7071"},
            {"--listen port", "gateway", "--insecure", "--id", "g", "--listen", "h:70000"},
            {"--id must be", "gateway", "--insecure", "--id", "bad id!"},
            {"--max-gateway-devices", "coordinator", "--insecure", "--max-gateway-devices", "0"},
            {"--max-connections", "coordinator", "--insecure", "--max-connections", "0"},
            {"--gateways", "swarm", "--insecure", "--clients", "10", "--gateways", "11"},
            {"--offset must be a multiple", "swarm", "--insecure", "--clients", "10", "--gateways", "2", "--offset", "3"},
            {"--edge-upstream must be an http(s)", "gateway", "--insecure", "--id", "g", "--edge-upstream", "ftp://h/x"},
            {"--edge-upstream must be https://", "gateway", "--id", "g", "--edge-upstream", "http://h:7071/edge-model"},
            {"--edge-listen port", "gateway", "--insecure", "--id", "g", "--edge-listen", "h:70000"},
            {"--edge-threads", "gateway", "--insecure", "--id", "g", "--edge-threads", "257"},
            {"--edge-refresh", "gateway", "--insecure", "--id", "g", "--edge-refresh", "0"},
            {"--edge-max-connections", "gateway", "--insecure", "--id", "g", "--edge-max-connections", "0"},
            {"--concurrency", "infer-load", "--url", "http://h:1/infer", "--concurrency", "0"},
            {"--batch", "infer-load", "--url", "http://h:1/infer", "--batch", "65"},
            {"--url must be", "infer-load", "--url", "ftp://h/infer"},
            {"--id must be", "certs", "gateway", "--id", "no/slash", "--names", "h"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.exit(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[0]), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
    }

    @Test
    void aGatewayWithoutItsCertificateSaysHowToIssueIt(@TempDir Path tmp) {
        CliRun r = CliRun.of("gateway", "--certs", tmp.toString(), "--id", "gw-9");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("fedge certs gateway --dir " + tmp + " --id gw-9"), r.err());
    }
}
