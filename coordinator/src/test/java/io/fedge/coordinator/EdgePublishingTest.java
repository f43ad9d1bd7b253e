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
