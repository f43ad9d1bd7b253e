package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The coordinator, two gateways and their devices on hosts of their own: five network namespaces
 * this test creates ({@code ip netns}), joined by veth pairs, so that what crosses the network
 * crosses it. The coordinator's host links to each gateway's host; each gateway's host links to
 * its devices' host; nothing routes between the links, so a device can reach its gateway and
 * nothing else.
 *
 * <pre>
 *   devices-1 10.201.11.2 ── 10.201.11.1 gateway-1 10.201.1.2 ── 10.201.1.1 ┐
 *                                                                            coordinator
 *   devices-2 10.201.12.2 ── 10.201.12.1 gateway-2 10.201.2.2 ── 10.201.2.1 ┘
 * </pre>
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2; it is skipped, saying why, where
 * namespaces cannot be made.
 */
class MultiHostTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TAG = "fx" + (ProcessHandle.current().pid() % 100_000);
    private static final String COORD = TAG + "-c";
    private static final String[] GATEWAY = {TAG + "-g1", TAG + "-g2"};
    private static final String[] DEVICES = {TAG + "-d1", TAG + "-d2"};
    private static final List<String> made = new ArrayList<>();

    private final FedgeProcesses processes = new FedgeProcesses("768m");

    @BeforeAll
    static void hosts() throws Exception {
        String why = ip("netns", "add", COORD);
        assumeTrue(why == null, "network namespaces cannot be created here: " + why);
        made.add(COORD);
        for (String ns : List.of(GATEWAY[0], GATEWAY[1], DEVICES[0], DEVICES[1])) {
            must("netns", "add", ns);
            made.add(ns);
        }
        for (int g = 0; g < 2; g++) {
            int n = g + 1;
            link(COORD, TAG + "c" + n, "10.201." + n + ".1/24", GATEWAY[g], TAG + "u" + n, "10.201." + n + ".2/24");
            link(GATEWAY[g], TAG + "s" + n, "10.201.1" + n + ".1/24", DEVICES[g], TAG + "d" + n,
                    "10.201.1" + n + ".2/24");
        }
        for (String ns : made) {
            must("-n", ns, "link", "set", "lo", "up");
        }
    }

    /** A veth pair from {@code ns1} to {@code ns2}, addressed and up. */
    private static void link(String ns1, String if1, String addr1, String ns2, String if2, String addr2)
            throws Exception {
        must("link", "add", if1, "type", "veth", "peer", "name", if2);
        must("link", "set", if1, "netns", ns1);
        must("link", "set", if2, "netns", ns2);
        must("-n", ns1, "addr", "add", addr1, "dev", if1);
        must("-n", ns2, "addr", "add", addr2, "dev", if2);
        must("-n", ns1, "link", "set", if1, "up");
        must("-n", ns2, "link", "set", if2, "up");
    }

    @AfterEach
    void stopAll() {
        processes.close();
    }

    @AfterAll
    static void removeHosts() throws Exception {
        for (String ns : made) {
            ip("netns", "del", ns); // takes its veth ends with it
        }
    }

    @Test
    void aFederationAcrossFiveHostsGoesThroughTheGatewaysOnly(@TempDir Path tmp) throws Exception {
        Path certs = tmp.resolve("certs");
        String dir = certs.toString();
        assertEquals(0, CliRun.of("certs", "init", "--dir", dir, "--names", "10.201.1.1,10.201.2.1").exit());
        for (int g = 0; g < 2; g++) {
            CliRun r = CliRun.of("certs", "gateway", "--dir", dir, "--id", "gw-" + (g + 1), "--names",
                    "10.201.1" + (g + 1) + ".1");
            assertEquals(0, r.exit(), r.err());
        }
        assertEquals(0, CliRun.of("certs", "client", "--dir", dir, "--id", "d0", "--id", "d1", "--id", "d2",
                "--id", "d3").exit());
        Path out = tmp.resolve("coord");
        Process coordinator = processes.startIn(COORD, tmp.resolve("coordinator.log"), "coordinator", "--certs", dir,
                "--host", "0.0.0.0", "--port", "7070", "--model", "mlp", "--rounds", "2", "--min-clients", "2",
                "--per-round", "2", "--no-eval", "--round-timeout", "120", "--out", out.toString());
        List<Process> gateways = new ArrayList<>();
        for (int g = 0; g < 2; g++) {
            gateways.add(processes.startIn(GATEWAY[g], tmp.resolve("gw-" + (g + 1) + ".log"), "gateway", "--certs",
                    dir, "--id", "gw-" + (g + 1), "--coordinator", "10.201." + (g + 1) + ".1:7070",
                    "--listen", "10.201.1" + (g + 1) + ".1:7071", "--min-devices", "2"));
        }
        List<Process> devices = new ArrayList<>();
        for (int d = 0; d < 4; d++) {
            int g = d / 2;
            devices.add(processes.startIn(DEVICES[g], tmp.resolve("d" + d + ".log"), "client", "--certs", dir,
                    "--id", "d" + d, "--coordinator", "10.201.1" + (g + 1) + ".1:7071",
                    "--model-key", certs.resolve("gateways/gw-" + (g + 1) + "-model-signing.pub").toString(),
                    "--clients", "24", "--index", Integer.toString(d)));
        }

        // a device's host has no way to the coordinator: its traffic can only be its gateway's
        Process probe = new ProcessBuilder("ip", "netns", "exec", DEVICES[0], "bash", "-c",
                "exec 3<>/dev/tcp/10.201.1.1/7070").redirectErrorStream(true).start();
        String refused = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, probe.exitValue(), "a device reached the coordinator directly: " + refused);
        assertTrue(refused.contains("unreachable"), refused);

        assertTrue(coordinator.waitFor(6, TimeUnit.MINUTES), "the federation finished");
        String coordinatorLog = Files.readString(tmp.resolve("coordinator.log"));
        assertEquals(0, coordinator.exitValue(), coordinatorLog);
        JsonNode rounds = JSON.readTree(out.resolve("history.json").toFile()).get("rounds");
        assertEquals(2, rounds.size(), rounds.toString());
        long counted = 0;
        for (JsonNode r : rounds) {
            assertTrue(r.get("succeeded").asBoolean(), r.toString());
            assertEquals(2, r.get("clients").asInt(), "one partial aggregate per gateway: " + r);
            counted += r.get("bytes_up").asLong();
        }
        // the coordinator saw each gateway from the gateway's own host, over its own link
        assertTrue(coordinatorLog.contains("gateway gw-1 registered from /10.201.1.2:"), coordinatorLog);
        assertTrue(coordinatorLog.contains("gateway gw-2 registered from /10.201.2.2:"), coordinatorLog);

        // what the coordinator counted as received crossed its two links
        long upstream = rxBytes(COORD, TAG + "c1") + rxBytes(COORD, TAG + "c2");
        assertTrue(upstream >= counted, "the links carried " + upstream + " bytes, the coordinator counted "
                + counted);
        for (int g = 0; g < 2; g++) {
            long fromDevices = rxBytes(GATEWAY[g], TAG + "s" + (g + 1));
            long toCoordinator = rxBytes(COORD, TAG + "c" + (g + 1));
            System.out.printf("gateway %d: %d bytes in from its devices' link, %d bytes up its coordinator link "
                    + "(the coordinator counted %d received from both)%n", g + 1, fromDevices, toCoordinator, counted);
            // two devices' updates in, one mean out, each round, the same codec: about twice the bytes
            assertTrue(fromDevices > 1.8 * toCoordinator && fromDevices < 2.2 * toCoordinator, "gateway " + (g + 1)
                    + ": " + fromDevices + " bytes from its devices, " + toCoordinator + " to the coordinator");
        }
        for (Process p : gateways) {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "each gateway ends with the federation");
            assertEquals(0, p.exitValue());
        }
        for (int d = 0; d < 4; d++) {
            assertTrue(devices.get(d).waitFor(2, TimeUnit.MINUTES), "device " + d + " ends with the federation");
            assertEquals(0, devices.get(d).exitValue(), Files.readString(tmp.resolve("d" + d + ".log")));
        }
    }

    private static long rxBytes(String ns, String dev) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + dev + "/statistics/rx_bytes")
                .redirectErrorStream(true).start();
        String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), v);
        return Long.parseLong(v);
    }

    /** Runs {@code ip ARGS}: null when it worked, else what it said. */
    private static String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return "no ip command (" + e.getMessage() + ")";
        }
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "ip " + String.join(" ", args) + " did not return";
        }
        return p.exitValue() == 0 ? null : said.isEmpty() ? "exit " + p.exitValue() : said;
    }

    private static void must(String... args) throws Exception {
        String why = ip(args);
        assertEquals(null, why, "ip " + String.join(" ", args));
    }
}
