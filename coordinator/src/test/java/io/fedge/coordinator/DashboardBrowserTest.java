package io.fedge.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelFile;
import io.fedge.core.model.ModelPresets;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard end to end: a running federation (real coordinator, real clients training on
 * Fashion-MNIST), its admin endpoint over mutual TLS, and Debian's headless Chromium driven by
 * Playwright ({@code dashboard/src/test/e2e/dashboard.mjs}) with an administrator's certificate:
 * the page shows the rounds as they come, and a click on Rollback changes the model the clients
 * train on next.
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("FEDGE_CHROMIUM", "/usr/bin/chromium"));
    private static final Path DRIVER = Path.of("..", "dashboard", "src", "test", "e2e", "dashboard.mjs");
    private final List<AutoCloseable> closeables = new ArrayList<>();
    @TempDir
    Path tmp;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void thePageShowsARunningFederationAndItsRollbackButtonChangesWhatClientsTrainOn() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "no Chromium at " + CHROMIUM + " (.ci/run installs it)");
        Assumptions.assumeTrue(Files.isDirectory(DRIVER.getParent().resolve("../../main/web/node_modules/playwright-core")),
                "playwright-core not installed (the dashboard module's build runs npm ci)");
        Path certs = tmp.resolve("certs");
        CertificateDirectory dir = new CertificateDirectory(certs);
        CertificateAuthority ca = dir.createAuthority("test-ca", Duration.ofDays(30), Clock.systemUTC());
        dir.issueServer(ca, List.of("127.0.0.1", "localhost"), Duration.ofDays(30));
        dir.issueAdmin(ca, "ops", Duration.ofDays(30));
        Path state = tmp.resolve("state");
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(600);
        Coordinator c = Coordinator.builder().bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(9, 0.05)))
                .strategy(FedAvg.builder().minFitClients(3).minAvailableClients(3)
                        // 20 local epochs: rounds of a few tenths of a second. With one epoch the lean
                        // path ran ~25 rounds a second, and once (CI) the page showed no status for
                        // the rollback within two minutes while ~2,900 versions came and went
                        .instructions(new FitInstructions(20, 32, 0.05, "fp32")).build())
                .rounds(10_000) // runs until the test closes it
                .seed(9).stateDir(state).keepModels(1_000)
                .admin(AdminEndpoint.of(new InetSocketAddress("127.0.0.1", 0), dir)).build();
        closeables.add(c);
        c.start();
        for (int k = 0; k < 3; k++) {
            int[] idx = new int[200];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = k * 200 + j;
            }
            FederatedClient client = FederatedClient.builder().coordinator(c.localAddress()).clientId("client-" + k)
                    .data(train.toDataSet(idx)).seed(k).build();
            closeables.add(client);
            client.start();
        }
        Path shot = Path.of("target", "dashboard-e2e.png").toAbsolutePath();
        Files.createDirectories(shot.getParent());
        Process node = new ProcessBuilder("node", DRIVER.toString(),
                "--url", "https://127.0.0.1:" + c.adminAddress().getPort() + "/",
                "--cert", dir.adminCertificate("ops").toString(), "--key", dir.adminKey("ops").toString(),
                "--ca", dir.caCertificate().toString(), "--screenshot", shot.toString(),
                "--min-rounds", "3", "--rollback", "1", "--timeout-ms", "120000")
                .redirectError(tmp.resolve("driver.err").toFile()).start();
        assertTrue(node.waitFor(3, TimeUnit.MINUTES), "the driver finished");
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, node.exitValue(), out + "\n" + Files.readString(tmp.resolve("driver.err")));
        JsonNode result = new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(result.get("rounds").asInt() >= 3, out);
        assertTrue(result.get("action").asText().contains("rollback to version 1 accepted"), out);
        assertTrue(Files.size(shot) > 10_000, "a screenshot was taken");

        // the rollback reached the round thread: a copy of version 1, then a round trained from it
        Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> c.models().entries().stream()
                .anyMatch(e -> e.kind() == ModelEntry.Kind.ROLLBACK && e.parent() == 1));
        ModelEntry copy = c.models().entries().stream().filter(e -> e.kind() == ModelEntry.Kind.ROLLBACK).findFirst()
                .orElseThrow();
        Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> c.models().entries().stream()
                .anyMatch(e -> e.parent() == copy.version() && e.kind() == ModelEntry.Kind.ROUND));
        GlobalModel v1 = ModelFile.read(state.resolve("models").resolve("model-v1.fgm"), null);
        GlobalModel copied = ModelFile.read(state.resolve("models").resolve("model-v" + copy.version() + ".fgm"), null);
        assertArrayEquals(v1.parameters(), copied.parameters(), "clients trained next from version 1's parameters");
        Optional<RoundRecord> after = c.history().rounds().stream().filter(r -> r.modelVersion() == copy.version() + 1)
                .findFirst();
        assertTrue(after.isPresent() && after.get().succeeded(), "the round after the rollback published its child");
    }
}
