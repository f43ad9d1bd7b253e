package io.fedge.cli;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.coordinator.AdminEndpoint;
import io.fedge.coordinator.Coordinator;
import io.fedge.coordinator.ModelEntry;
import io.fedge.coordinator.ModelRegistry;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fedge certs admin} and {@code fedge models} against a real coordinator with its admin
 * endpoint over mutual TLS and real clients training on Fashion-MNIST.
 */
class ModelsCommandTest {
    @TempDir
    Path certs;
    @TempDir
    Path state;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void listsShowsPromotesAndRollsBackThroughTheAdminApi() throws Exception {
        assertEquals(0, CliRun.of("certs", "init", "--dir", certs.toString(), "--names", "127.0.0.1,localhost").exit());
        CliRun issued = CliRun.of("certs", "admin", "--dir", certs.toString(), "--name", "ops");
        assertEquals(0, issued.exit(), issued.err());
        assertTrue(certs.resolve("admins/ops.crt").toFile().isFile());
        CertificateDirectory dir = new CertificateDirectory(certs);

        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(400);
        Coordinator c = Coordinator.builder().bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(5, 0.05)))
                .strategy(FedAvg.builder().minFitClients(2).minAvailableClients(2)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(2).seed(5).stateDir(state).autoPromote(false)
                .admin(AdminEndpoint.of(new InetSocketAddress("127.0.0.1", 0), dir)).build();
        closeables.add(c);
        c.start();
        for (int k = 0; k < 2; k++) {
            int[] idx = new int[200];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = k * 200 + j;
            }
            FederatedClient client = FederatedClient.builder().coordinator(c.localAddress()).clientId("c" + k)
                    .data(train.toDataSet(idx)).seed(k).build();
            closeables.add(client);
            client.start();
        }
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
        String url = "https://127.0.0.1:" + c.adminAddress().getPort();
        String[] admin = {"--admin", url, "--certs", certs.toString(), "--name", "ops"};

        CliRun online = CliRun.of(concat(new String[] {"models", "list"}, admin));
        assertEquals(0, online.exit(), online.err());
        CliRun offline = CliRun.of("models", "list", "--state", state.toString());
        assertEquals(0, offline.exit(), offline.err());
        assertEquals(online.out(), offline.out(), "the running coordinator and its state folder agree");
        List<String> lines = online.out().lines().toList();
        assertEquals(4, lines.size(), online.out()); // header + versions 2, 1, 0
        ModelEntry v2 = c.models().entry(2).orElseThrow();
        assertTrue(lines.get(1).matches("\\s+2\\s+1\\s+round\\s+2\\s+2\\s+-\\s+-\\s+kept\\s+"), lines.get(1));
        assertTrue(lines.get(3).matches("\\s+0\\s+-\\s+initial\\s+0\\s+0\\s+-\\s+-\\s+kept\\s+"), lines.get(3));

        CliRun show = CliRun.of("models", "show", "2", "--state", state.toString());
        assertEquals(0, show.exit(), show.err());
        assertTrue(show.out().contains("sha256              " + v2.sha256()), show.out());
        assertTrue(show.out().contains("strategy            fedavg"), show.out());

        CliRun promoted = CliRun.of(concat(new String[] {"models", "promote", "1"}, admin));
        assertEquals(0, promoted.exit(), promoted.err());
        assertTrue(promoted.out().contains("version 1 is stable"), promoted.out());
        assertEquals(1L, c.models().labels().get(ModelRegistry.STABLE));
        CliRun listed = CliRun.of("models", "list", "--state", state.toString());
        assertTrue(listed.out().lines().anyMatch(l -> l.matches("\\s+1\\s+0\\s+round.*kept\\s+stable")), listed.out());

        CliRun rolledBack = CliRun.of(concat(new String[] {"models", "rollback", "2"}, admin));
        assertEquals(1, rolledBack.exit(), "the newest version cannot be rolled back to");
        assertTrue(rolledBack.err().startsWith("fedge models rollback: the coordinator refused (HTTP 409): version 2 is "
                + "the newest version"), rolledBack.err());
        assertFalse(rolledBack.err().contains("\tat "), "one line, no stack trace");

        CliRun compare = CliRun.of(concat(new String[] {"models", "compare", "0", "2", "--clients", "2"}, admin));
        assertEquals(1, compare.exit());
        assertTrue(compare.err().contains("the federation is finished"), compare.err());
        CliRun none = CliRun.of("models", "comparisons", "--state", state.toString());
        assertEquals(0, none.exit(), none.err());
        assertEquals("no A/B evaluations yet", none.out().strip());

        CliRun neither = CliRun.of("models", "list");
        assertEquals(2, neither.exit());
        assertTrue(neither.err().contains("give either --state DIR"), neither.err());
        CliRun noCert = CliRun.of("models", "promote", "1", "--admin", url, "--certs", certs.toString(), "--name", "x");
        assertEquals(2, noCert.exit());
        assertTrue(noCert.err().contains("admins/x.crt") && noCert.err().contains("fedge certs admin"), noCert.err());
        CliRun missing = CliRun.of("models", "show", "9", "--state", state.toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().toLowerCase(Locale.ROOT).contains("no model version 9"), missing.err());
        CliRun noState = CliRun.of("models", "list", "--state", certs.toString());
        assertEquals(1, noState.exit());
        assertTrue(noState.err().contains("no coordinator state in"), noState.err());
    }

    @Test
    void registryCanaryAndFleetOptionsOutsideTheirBoundsAreRefusedInOneLine() {
        String[][] cases = {
            {"--canary must be in [0, 1)", "coordinator", "--insecure", "--canary", "1.5"},
            {"--canary-alpha must be in (0, 0.5)", "coordinator", "--insecure", "--canary-alpha", "0.7"},
            {"--promote must be auto or manual", "coordinator", "--insecure", "--promote", "maybe"},
            {"--promote-margin must be in [0, 1]", "coordinator", "--insecure", "--promote-margin", "-0.1"},
            {"--keep-models", "coordinator", "--insecure", "--keep-models", "0"},
            {"--keep-best", "coordinator", "--insecure", "--keep-best", "-1"},
            {"--admin-port", "coordinator", "--insecure", "--admin-port", "70000"},
            {"cannot run with --insecure", "coordinator", "--insecure", "--admin-port", "7072"},
            {"it needs --edge-every N", "coordinator", "--insecure", "--canary", "0.1"},
            {"it needs --certs DIR, not --insecure", "coordinator", "--insecure", "--edge-every", "1"},
            {"--devices", "edge-fleet", "--devices", "0"},
            {"--batch", "edge-fleet", "--batch", "0"},
            {"--check-every", "edge-fleet", "--check-every", "0"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.exit(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[0]), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
