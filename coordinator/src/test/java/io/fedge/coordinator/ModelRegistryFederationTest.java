package io.fedge.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelFile;
import io.fedge.core.model.ModelPresets;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model registry, promotion, rollback, the admin API and the metrics on a real federation:
 * a coordinator with its state folder, real clients training an MLP on Fashion-MNIST over
 * loopback, the admin endpoint over real mutual TLS with certificates from a real authority.
 */
class ModelRegistryFederationTest {
    private static final int CLIENTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LabeledImages train;
    private static DataSet test;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    @TempDir
    Path certs;
    @TempDir
    Path state;
    private CertificateDirectory dir;
    private CertificateAuthority ca;

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(CLIENTS * 200);
        LabeledImages t = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(300);
        int[] idx = new int[300];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        test = t.toDataSet(idx);
    }

    @BeforeEach
    void issueCertificates() throws Exception {
        dir = new CertificateDirectory(certs);
        ca = dir.createAuthority("test-ca", Duration.ofDays(30), Clock.systemUTC());
        dir.issueServer(ca, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        dir.issueClient(ca, "client-0", Duration.ofDays(30));
        dir.issueAdmin(ca, "ops", Duration.ofDays(30));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Coordinator coordinator(int rounds, UnaryOperator<Coordinator.Builder> more) throws Exception {
        TestSetEvaluator evaluator = new TestSetEvaluator(test, 300);
        closeables.add(evaluator);
        Coordinator.Builder b = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(3, 0.05)))
                .strategy(FedAvg.builder().minFitClients(CLIENTS).minAvailableClients(CLIENTS)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(rounds)
                .seed(3)
                .stateDir(state)
                .evaluator(evaluator);
        Coordinator c = more.apply(b).build();
        closeables.add(c);
        return c;
    }

    private void clients(Coordinator c) {
        for (int k = 0; k < CLIENTS; k++) {
            int[] idx = new int[200];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = k * 200 + j;
            }
            FederatedClient client = FederatedClient.builder().coordinator(c.localAddress())
                    .clientId("client-" + k).data(train.toDataSet(idx)).seed(k)
                    .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500)).build();
            closeables.add(client);
            client.start();
        }
    }

    private AdminClient admin(Coordinator c, Credentials who) throws IOException {
        InetSocketAddress a = c.adminAddress();
        return AdminClient.of(URI.create("https://127.0.0.1:" + a.getPort() + "/"), who, dir.loadCaCertificate());
    }

    @Test
    void everyVersionIsRecordedWithItsLineageAndEvaluationsAndSurvivesARestart() throws Exception {
        Coordinator c = coordinator(3, b -> b).start();
        clients(c);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
        List<RoundRecord> rounds = c.history().rounds();
        assertEquals(3, rounds.size());
        List<ModelEntry> entries = c.models().entries();
        assertEquals(4, entries.size(), "the initial model and one version per round");
        assertEquals(ModelEntry.Kind.INITIAL, entries.get(0).kind());
        assertEquals(-1, entries.get(0).parent());
        ModelEntry stable = null;
        for (int v = 1; v <= 3; v++) {
            ModelEntry e = entries.get(v);
            RoundRecord r = rounds.get(v - 1);
            assertEquals(v, e.version());
            assertEquals(v - 1, e.parent());
            assertEquals(ModelEntry.Kind.ROUND, e.kind());
            assertEquals(r.round(), e.round());
            assertEquals(r.clients(), e.contributors());
            assertEquals("fedavg", e.strategy());
            assertEquals("fp32", e.codec());
            assertEquals(r.testAccuracy(), e.testAccuracy());
            assertEquals(r.testLoss(), e.testLoss());
            // the guard's rule by hand: promoted unless it is worse than stable by more than 0.02
            if (stable == null || e.testAccuracy() >= stable.testAccuracy() - 0.02) {
                stable = e;
            }
        }
        assertEquals(Map.of(ModelRegistry.STABLE, stable.version()), c.models().labels());
        // the digest recorded is the file's
        for (ModelEntry e : entries) {
            if (e.fileKept()) {
                assertEquals(ModelFile.digestHex(state.resolve("models").resolve("model-v" + e.version() + ".fgm")),
                        e.sha256());
            }
        }
        c.close();

        StoredRegistry stored = StoredRegistry.read(state);
        assertEquals(entries, stored.entries());
        assertEquals(c.models().labels(), stored.labels());

        Coordinator again = coordinator(3, b -> b).start();
        assertEquals(entries, again.models().entries(), "the registry comes back from the state folder");
        assertEquals(c.models().labels(), again.models().labels());
    }

    @Test
    void theRetentionPolicyDeletesOldFilesButKeepsTheStableAndTheBestVersion() throws Exception {
        Coordinator c = coordinator(4, b -> b.keepModels(1).keepBestModels(1).autoPromote(false)).start();
        clients(c);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
        List<ModelEntry> entries = c.models().entries();
        ModelEntry best = entries.stream().filter(e -> !Double.isNaN(e.testAccuracy()))
                .max(java.util.Comparator.comparingDouble(ModelEntry::testAccuracy)
                        .thenComparingLong(ModelEntry::version)).orElseThrow();
        for (ModelEntry e : entries) {
            boolean expected = e.version() == 4 || e.version() == best.version();
            assertEquals(expected, e.fileKept(), "version " + e.version() + " (best is " + best.version() + ")");
            assertEquals(expected, state.resolve("models").resolve("model-v" + e.version() + ".fgm").toFile().exists());
        }
        assertTrue(c.models().labels().isEmpty(), "manual promotion labels nothing by itself");
        long pruned = entries.stream().filter(e -> !e.fileKept()).findFirst().orElseThrow().version();
        AdminResult r = c.rollback(pruned);
        assertEquals(AdminResult.Status.CONFLICT, r.status());
        assertTrue(r.message().contains("retention policy"), r.message());
        assertEquals(AdminResult.Status.NOT_FOUND, c.rollback(99).status());
        assertEquals(AdminResult.Status.CONFLICT, c.rollback(4).status(), "the newest version is not a rollback");
    }

    @Test
    void aRollbackPublishesACopyOfTheChosenVersionThatTheNextRoundTrainsFrom() throws Exception {
        Map<Long, float[]> published = new ConcurrentHashMap<>();
        List<AdminResult> requested = new ArrayList<>();
        Coordinator[] self = new Coordinator[1];
        Coordinator c = coordinator(4, b -> b.addListener(new RoundListener() {
            @Override
            public void roundFinished(RoundRecord r) {
                published.put(r.modelVersion(), self[0].globalModel().parameters().clone());
                if (r.round() == 2) {
                    requested.add(self[0].rollback(1));
                }
            }
        }));
        self[0] = c;
        c.start();
        clients(c);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
        assertEquals(AdminResult.Status.ACCEPTED, requested.get(0).status(), requested.get(0).message());
        ModelEntry copy = c.models().entry(3).orElseThrow();
        assertEquals(ModelEntry.Kind.ROLLBACK, copy.kind());
        assertEquals(1, copy.parent());
        assertEquals(c.models().entry(1).orElseThrow().testAccuracy(), copy.testAccuracy());
        GlobalModel copyFile = ModelFile.read(state.resolve("models").resolve("model-v3.fgm"), null);
        assertArrayEquals(published.get(1L), copyFile.parameters(), "the copy holds version 1's parameters");
        // the next rounds trained from the copy: version 4's parent is 3, and it moved away from it
        ModelEntry next = c.models().entry(4).orElseThrow();
        assertEquals(3, next.parent());
        assertEquals(ModelEntry.Kind.ROUND, next.kind());
        assertFalse(java.util.Arrays.equals(published.get(1L), published.get(4L)));
        assertEquals(4, c.history().rounds().size(), "the rollback used no round");
        assertEquals(5, c.globalModel().version(), "4 rounds on top of the copy: versions 1, 2, (3), 4, 5");
        assertTrue(c.models().labels().get(ModelRegistry.STABLE) >= 3, "the copy was labelled stable, and then newer ones");
    }

    @Test
    void aFederatedAbEvaluationPairsTheSameClientsOnTwoVersions() throws Exception {
        List<AdminResult> asked = new ArrayList<>();
        Coordinator[] self = new Coordinator[1];
        Coordinator c = coordinator(5, b -> b.keepModels(10).addListener(new RoundListener() {
            @Override
            public void roundFinished(RoundRecord r) {
                if (r.round() == 3) {
                    asked.add(self[0].compare(1, 3, CLIENTS));
                    asked.add(self[0].compare(1, 2, CLIENTS)); // one at a time
                }
            }
        }));
        self[0] = c;
        c.start();
        clients(c);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
        assertEquals(AdminResult.Status.ACCEPTED, asked.get(0).status(), asked.get(0).message());
        assertEquals(AdminResult.Status.CONFLICT, asked.get(1).status());
        assertEquals(AdminResult.Status.CONFLICT, c.compare(2, 2, 3).status());
        assertEquals(AdminResult.Status.NOT_FOUND, c.compare(1, 77, 3).status());
        List<ComparisonResult> done = c.models().comparisons();
        assertEquals(1, done.size());
        ComparisonResult r = done.get(0);
        assertEquals(1, r.versionA());
        assertEquals(3, r.versionB());
        assertEquals(3, r.afterRound());
        assertEquals(CLIENTS, r.comparison().pairs());

        // a second path: each client's accuracy of both versions, from the stored files, on its own data
        double[] d = new double[CLIENTS];
        double sumA = 0;
        for (int k = 0; k < CLIENTS; k++) {
            int[] idx = new int[200];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = k * 200 + j;
            }
            io.fedge.client.LocalTrainer local = new io.fedge.client.LocalTrainer(train.toDataSet(idx));
            double a = local.evaluate(ModelFile.read(state.resolve("models/model-v1.fgm"), null), 64).accuracy();
            double b = local.evaluate(ModelFile.read(state.resolve("models/model-v3.fgm"), null), 64).accuracy();
            d[k] = b - a;
            sumA += a;
        }
        double mean = (d[0] + d[1] + d[2]) / 3;
        double sd = Math.sqrt(((d[0] - mean) * (d[0] - mean) + (d[1] - mean) * (d[1] - mean)
                + (d[2] - mean) * (d[2] - mean)) / 2);
        double half = 4.302652730 * sd / Math.sqrt(3); // t(0.975, 2 degrees of freedom)
        assertEquals(sumA / 3, r.accuracyA(), 1e-9);
        assertEquals(mean, r.comparison().meanDifference(), 1e-9);
        assertEquals(mean - half, r.comparison().low(), 1e-6);
        assertEquals(mean + half, r.comparison().high(), 1e-6);
        PairedComparison.Verdict expected = mean - half > 0 ? PairedComparison.Verdict.B_BETTER
                : mean + half < 0 ? PairedComparison.Verdict.A_BETTER : PairedComparison.Verdict.NO_DIFFERENCE;
        assertEquals(expected, r.comparison().verdict());
        c.close();
        assertEquals(done, StoredRegistry.read(state).comparisons(), "the result is durable");
    }

    @Test
    void theAdminApiServesAdministratorsOnlyAndItsMetricsMatchTheHistory() throws Exception {
        AdminEndpoint endpoint = AdminEndpoint.of(new InetSocketAddress("127.0.0.1", 0), dir);
        Coordinator c = coordinator(2, b -> b.admin(endpoint)).start();
        clients(c);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
        AdminClient ops = admin(c, dir.loadAdmin("ops"));

        AdminClient.Reply models = ops.get("/api/models");
        assertEquals(200, models.status());
        JsonNode list = JSON.readTree(models.body()).get("models");
        assertEquals(3, list.size());
        assertEquals(2, list.get(0).get("version").asLong(), "newest first");
        assertEquals(1, list.get(0).get("parent").asLong());
        assertEquals(c.history().rounds().get(1).testAccuracy(), list.get(0).get("testAccuracy").asDouble());
        assertTrue(list.get(2).get("parent").isNull());

        JsonNode status = JSON.readTree(ops.get("/api/status").body());
        assertEquals(2, status.get("modelVersion").asLong());
        assertEquals("finished", status.get("state").asText());
        assertEquals(c.models().labels().get(ModelRegistry.STABLE), status.get("stable").asLong());

        // a client's certificate of the same authority: refused with 403
        AdminClient device = admin(c, dir.loadClient("client-0"));
        assertEquals(403, device.get("/api/models").status());
        assertEquals(403, device.post("/api/models/1/promote?force=true").status());
        // another authority's administrator: the handshake itself fails
        CertificateAuthority other = CertificateAuthority.create("other", Duration.ofDays(30), Clock.systemUTC());
        AdminClient foreign = AdminClient.of(URI.create("https://127.0.0.1:" + c.adminAddress().getPort() + "/"),
                other.issueAdmin("ops", Duration.ofDays(30)), dir.loadCaCertificate());
        assertThrows(IOException.class, () -> foreign.get("/api/models"));
        assertEquals(c.models().labels(), Map.of(ModelRegistry.STABLE, c.models().labels().get(ModelRegistry.STABLE)),
                "nothing a refused caller sent changed the labels");

        // promotion through the API: the CSRF header is required; the guard refuses an unevaluated version
        assertEquals(403, ops.postWithoutHeader("/api/models/1/promote").status());
        AdminClient.Reply guarded = ops.post("/api/models/0/promote");
        assertEquals(409, guarded.status(), guarded.body());
        assertTrue(JSON.readTree(guarded.body()).get("message").asText().contains("no evaluation"), guarded.body());
        AdminClient.Reply forced = ops.post("/api/models/0/promote?force=true");
        assertEquals(200, forced.status(), forced.body());
        assertEquals(0L, c.models().labels().get(ModelRegistry.STABLE));
        assertEquals(0L, StoredRegistry.read(state).labels().get(ModelRegistry.STABLE), "the label is durable");
        assertEquals(404, ops.post("/api/models/77/rollback").status());
        assertEquals(404, ops.get("/api/nothing").status());

        // the metrics agree with the history
        String metrics = ops.get("/metrics").body();
        List<RoundRecord> rounds = c.history().rounds();
        assertEquals(rounds.stream().filter(RoundRecord::succeeded).count(),
                (long) metric(metrics, "fedge_rounds_total\\{outcome=\"succeeded\"\\}"));
        assertEquals(rounds.stream().mapToInt(RoundRecord::selected).sum(),
                (long) metric(metrics, "fedge_clients_selected_total"));
        assertEquals(rounds.stream().mapToInt(RoundRecord::clients).sum(),
                (long) metric(metrics, "fedge_clients_accepted_total"));
        assertEquals(2, (long) metric(metrics, "fedge_model_version"));
        assertEquals(rounds.get(1).testAccuracy(), metric(metrics, "fedge_model_test_accuracy"), 1e-9);
        assertEquals(rounds.size(), (long) metric(metrics, "fedge_round_duration_seconds_count"));
        assertTrue(metric(metrics, "fedge_received_bytes_total") > 0);
        assertTrue(metric(metrics, "fedge_aggregation_seconds_count") >= rounds.stream()
                .mapToInt(RoundRecord::clients).sum(), "one aggregation task per accepted update at least");
        assertTrue(metrics.contains("jvm_memory_used_bytes"));
    }

    private static double metric(String scrape, String nameAndLabels) {
        Matcher m = Pattern.compile("(?m)^" + nameAndLabels + " ([0-9.eE+-]+)$").matcher(scrape);
        assertTrue(m.find(), nameAndLabels + " not in the scrape:\n" + scrape);
        return Double.parseDouble(m.group(1));
    }
}
