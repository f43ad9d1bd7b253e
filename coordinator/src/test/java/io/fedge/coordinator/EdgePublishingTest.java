package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.EdgeModelFetcher;
import io.fedge.export.Distiller;
import io.fedge.export.EdgeQuantizer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coordinator distils, signs and serves an edge model each round; a device fetches the newest, verified. */
class EdgePublishingTest {
    @Test
    void inferenceOnlyDevicesFetchTheNewestSignedEdgeModel() throws Exception {
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN);
        int[] transfer = new int[1000];
        for (int i = 0; i < transfer.length; i++) {
            transfer[i] = 59_000 + i;
        }
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        List<AutoCloseable> closeables = new ArrayList<>();
        try {
            Coordinator c = Coordinator.builder()
                    .bind(new InetSocketAddress("127.0.0.1", 0))
                    .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                    .strategy(FedAvg.builder().minFitClients(2).minAvailableClients(2)
                            .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                    .rounds(2)
                    .roundTimeout(Duration.ofMinutes(2))
                    .modelSigningKey(keys.getPrivate())
                    .edgePublishing(new EdgePublishing(1, "mlp-small", train.toDataSet(transfer),
                            FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(500).toDataSet(),
                            new Distiller(4, 0.7, 2, 64, 0.002, 1), new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 99.99),
                            new InetSocketAddress("127.0.0.1", 0)))
                    .build();
            closeables.add(c);
            c.start();
            InetSocketAddress http = c.edgeModelAddress();
            EdgeModelFetcher fetcher = new EdgeModelFetcher(
                    URI.create("http://127.0.0.1:" + http.getPort() + "/edge-model"), keys.getPublic());
            assertTrue(fetcher.fetchIfNewer(null).isEmpty(), "nothing is published before the first round");
            for (int i = 0; i < 2; i++) {
                int[] idx = new int[500];
                for (int j = 0; j < idx.length; j++) {
                    idx[j] = i * 500 + j;
                }
                closeables.add(FederatedClient.builder().coordinator(c.localAddress()).clientId("c" + i)
                        .data(train.toDataSet(idx)).trustedModelKey(keys.getPublic()).seed(i).build().start());
            }
            assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
            Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> c.publishedEdgeModelVersion() == 2);

            EdgeModelFetcher.Fetched fetched = fetcher.fetchIfNewer(null).orElseThrow();
            assertEquals("2", fetched.model().metadata().get("teacher_version"));
            assertEquals("mlp-small", fetched.model().metadata().get("student"));
            assertEquals("\"v2\"", fetched.etag());
            assertEquals(Optional.empty(), fetcher.fetchIfNewer(fetched.etag()), "not downloaded twice");
            assertTrue(fetcher.fetchIfNewer("\"v1\"").isPresent(), "an older version gets the newest");

            KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            EdgeModelFetcher impostorPinned = new EdgeModelFetcher(
                    URI.create("http://127.0.0.1:" + http.getPort() + "/edge-model"), other.getPublic());
            assertThrows(SecurityException.class, () -> impostorPinned.fetchIfNewer(null));
        } finally {
            for (int i = closeables.size() - 1; i >= 0; i--) {
                closeables.get(i).close();
            }
        }
    }

    @Test
    void overHttpsDevicesTrustTheFleetCaAndNothingElse(@org.junit.jupiter.api.io.TempDir java.nio.file.Path certs)
            throws Exception {
        io.fedge.comm.tls.CertificateDirectory dir = new io.fedge.comm.tls.CertificateDirectory(certs);
        io.fedge.comm.tls.CertificateAuthority ca = dir.createAuthority("edge-ca", Duration.ofDays(1),
                java.time.Clock.systemUTC());
        dir.issueServer(ca, List.of("127.0.0.1", "localhost"), Duration.ofDays(1));
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN);
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        try (Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(1).minAvailableClients(1)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(1)
                .modelSigningKey(keys.getPrivate())
                .edgePublishing(new EdgePublishing(1, "mlp-small", train.toDataSet(range(59_500, 60_000)),
                        FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(200).toDataSet(),
                        new Distiller(4, 0.7, 1, 64, 0.002, 1), new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 99.99),
                        new InetSocketAddress("127.0.0.1", 0),
                        io.fedge.comm.tls.TlsContexts.serverWithoutClientAuth(dir, io.fedge.comm.tls.TlsContexts.provider())))
                .build()) {
            c.start();
            try (FederatedClient real = FederatedClient.builder().coordinator(c.localAddress()).clientId("c0")
                    .data(train.toDataSet(range(0, 300))).seed(1).build().start()) {
                assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
                Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> c.publishedEdgeModelVersion() == 1);
                URI https = URI.create("https://127.0.0.1:" + c.edgeModelAddress().getPort() + "/edge-model");
                EdgeModelFetcher trusting = new EdgeModelFetcher(https, keys.getPublic(),
                        EdgeModelFetcher.trusting(dir.loadCaCertificate()));
                assertEquals("\"v1\"", trusting.fetchIfNewer(null).orElseThrow().etag());
                EdgeModelFetcher defaults = new EdgeModelFetcher(https, keys.getPublic());
                assertThrows(java.io.IOException.class, () -> defaults.fetchIfNewer(null),
                        "the JDK's default trust does not know the fleet's CA");
            }
        }
    }

    @Test
    void aWorseCanaryIsRolledBackByTheDevicesTelemetry(@org.junit.jupiter.api.io.TempDir java.nio.file.Path state)
            throws Exception {
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN);
        LabeledImages test = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(2000);
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        CanaryPolicy policy = new CanaryPolicy(0.1, new CanaryTest(0.05, 2, 60, 240), 30);
        try (Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(1).minAvailableClients(1)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(2)
                .stateDir(state)
                .modelSigningKey(keys.getPrivate())
                .edgePublishing(new EdgePublishing(2, "none", train.toDataSet(range(58_000, 60_000)),
                        test.head(300).toDataSet(), new Distiller(4, 0.7, 2, 64, 0.002, 1),
                        new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 99.99), new InetSocketAddress("127.0.0.1", 0)))
                .canary(policy)
                .build()) {
            c.start();
            try (FederatedClient real = FederatedClient.builder().coordinator(c.localAddress()).clientId("c0")
                    .data(train.toDataSet(range(0, 3000))).seed(1).build().start()) {
                assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
                Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> c.publishedEdgeModelVersion() == 2);
                assertEquals(Long.valueOf(2), c.models().labels().get(ModelRegistry.STABLE), "the first edge model");
                // the untrained initial model (quantized as it is: student "none") on the canary: a worse version
                assertEquals(AdminResult.Status.ACCEPTED, c.canary(0).status());
                EdgeReleases releases = c.edgeReleases().orElseThrow();
                Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> releases.canaryVersion() == 0);
                assertEquals(Long.valueOf(0), c.models().labels().get(ModelRegistry.CANARY));

                URI base = URI.create("http://127.0.0.1:" + c.edgeModelAddress().getPort());
                java.net.http.HttpClient http = EdgeModelFetcher.client(null);
                float[][] images = test.toDataSet().getFeatures().toFloatMatrix();
                int[] labels = test.labels();
                CanarySplit split = new CanarySplit(0.1, 0);
                int devices = 300;
                int onCanary = 0;
                String state0 = "running";
                long canaryInferences = 0;
                for (int sweep = 0; sweep < 50 && state0.equals("running"); sweep++) {
                    for (int d = 0; d < devices && state0.equals("running"); d++) {
                        String id = "device-" + d;
                        EdgeModelFetcher.Fetched f = new EdgeModelFetcher(base.resolve("/edge-model"), keys.getPublic(),
                                http, id).fetchIfNewer(null).orElseThrow();
                        assertEquals(split.canary(id) ? 0 : 2, f.version(), "device " + id + " gets its release");
                        assertEquals(split.canary(id) ? "canary" : "stable", f.release());
                        onCanary += sweep == 0 && split.canary(id) ? 1 : 0;
                        io.fedge.edge.InferenceTelemetry t = new io.fedge.edge.InferenceTelemetry(id, 10);
                        for (int k = 0; k < 5; k++) {
                            int i = (d * 31 + sweep * 5 + k) % images.length;
                            t.record(f.version(), 1_000, f.model().predict(images[i]), labels[i]);
                        }
                        canaryInferences += f.version() == 0 ? 5 : 0;
                        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                                base.resolve("/edge-telemetry")).POST(java.net.http.HttpRequest.BodyPublishers
                                .ofString(t.drain())).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                        assertEquals(200, r.statusCode(), r.body());
                        state0 = AdminJson.MAPPER.readTree(r.body()).get("canary").asText();
                    }
                }
                assertTrue(Math.abs(onCanary - devices * 0.1) < 4 * Math.sqrt(devices * 0.09), onCanary + " on the canary");
                assertEquals("rolled back version 0", state0);
                assertTrue(canaryInferences >= 60, "the first look needs 60 labelled canary inferences");
                assertEquals(java.util.Map.of(ModelRegistry.STABLE, 2L), c.models().labels());
                assertEquals(-1, releases.canaryVersion());
                // the registry knows where each edge model came from, durably
                List<EdgeExportEntry> exported = c.models().edgeExportsOf(0);
                assertEquals(1, exported.size());
                assertEquals("none", exported.get(0).student());
                assertEquals(64, exported.get(0).sha256().length());
                assertEquals(1, c.models().edgeExportsOf(2).size());
                assertEquals(exported, StoredRegistry.read(state).edgeExports().stream().filter(e -> e.version() == 0)
                        .toList());
                CanaryTest.Decision verdict = releases.lastDecision().orElseThrow();
                assertEquals(CanaryTest.Verdict.ROLL_BACK, verdict.verdict());
                assertTrue(verdict.high() < 0, "the whole interval is below stable: " + verdict.reason());
                String back = null;
                for (int d = 0; back == null; d++) {
                    back = split.canary("device-" + d) ? "device-" + d : null;
                }
                assertEquals(2, new EdgeModelFetcher(base.resolve("/edge-model"), keys.getPublic(), http, back)
                        .fetchIfNewer(null).orElseThrow().version(), "the canary's devices are back on stable");
                // a report on the rolled-back version is refused, and says why
                io.fedge.edge.InferenceTelemetry late = new io.fedge.edge.InferenceTelemetry(back, 10);
                late.record(0, 1_000, new float[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
                java.net.http.HttpResponse<String> refused = http.send(java.net.http.HttpRequest.newBuilder(
                        base.resolve("/edge-telemetry")).POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        late.drain())).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(400, refused.statusCode());
                assertTrue(refused.body().contains("version 0 is not served"), refused.body());

                // the fuzz campaign at the socket: mutated requests are answered or closed, none changes the releases
                java.util.Random rng = new java.util.Random(5);
                String seed = "POST /edge-telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n"
                        + "{\"device\":\"device-1\",\"version\":2,\"inferences\":10,\"latencyP50Micros\":5,"
                        + "\"latencyP99Micros\":9,\"meanConfidence\":0.5,\"predictions\":[10],\"labelled\":10,"
                        + "\"correct\":10}";
                for (int i = 0; i < 300; i++) {
                    byte[] req = (i % 2 == 0 ? seed : "GET /edge-model?device=" + "d%zz" + i + " HTTP/1.1\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                    for (int k = 0; k < 1 + rng.nextInt(6); k++) {
                        req[rng.nextInt(req.length)] = (byte) rng.nextInt(256);
                    }
                    try (java.net.Socket sock = new java.net.Socket("127.0.0.1", c.edgeModelAddress().getPort())) {
                        sock.setSoTimeout(20_000);
                        sock.getOutputStream().write(req);
                        sock.shutdownOutput();
                        byte[] head = sock.getInputStream().readNBytes(12);
                        if (head.length > 0) {
                            String line = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1);
                            assertTrue(line.startsWith("HTTP/1.1 "), line);
                        }
                    } catch (java.net.SocketException e) {
                        // closed by the server: allowed for what it cannot read
                    }
                }
                assertEquals(2, releases.stableVersion(), "stable is still version 2");
                assertEquals(java.util.Map.of(ModelRegistry.STABLE, 2L), c.models().labels());
            }
        }
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }

    @Test
    void edgePublishingWithoutASigningKeyIsRefusedAtBuild() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Coordinator.builder()
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .edgePublishing(new EdgePublishing(1, "mlp-small", new org.nd4j.linalg.dataset.DataSet(),
                        new org.nd4j.linalg.dataset.DataSet(), Distiller.defaults(),
                        new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 100), new InetSocketAddress(0)))
                .build());
        assertTrue(e.getMessage().contains("modelSigningKey"), e.getMessage());
    }
}
