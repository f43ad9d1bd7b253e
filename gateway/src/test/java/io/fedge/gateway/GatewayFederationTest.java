package io.fedge.gateway;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.client.LocalTrainer;
import io.fedge.client.LocalUpdate;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.comm.tls.RevocationList;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.coordinator.Coordinator;
import io.fedge.coordinator.RoundRecord;
import io.fedge.coordinator.SiteServer;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real coordinator, real gateways and real devices over loopback TCP (and mutual TLS), training
 * the mlp on Fashion-MNIST: the model a tiered federation publishes equals the flat federation's
 * mean of the same devices' updates, computed a second way by training each device's data here.
 */
class GatewayFederationTest {
    /** Devices' data sizes: unequal, so the weighting matters, and each one full batch. */
    private static final int[] SIZES = {120, 200, 90, 160, 140, 60, 180, 110};
    private static final int BATCH = 256;
    private static LabeledImages train;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(2000);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private static DataSet deviceData(int device) {
        int start = 0;
        for (int i = 0; i < device; i++) {
            start += SIZES[i];
        }
        int[] idx = new int[SIZES[device]];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = start + i;
        }
        return train.toDataSet(idx);
    }

    private static GlobalModel initial() {
        return Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05));
    }

    /** One round of full-batch training: no shuffling order can change an update. */
    private static FitInstructions instructions() {
        return new FitInstructions(2, BATCH, 0.05, "fp32");
    }

    private Coordinator coordinator(int clients, Coordinator.Builder tls) throws Exception {
        return coordinator(clients, tls, FedAvg.builder());
    }

    private Coordinator coordinator(int clients, Coordinator.Builder tls, io.fedge.aggregation.Sampling.Builder<FedAvg> strategy)
            throws Exception {
        Coordinator c = tls.bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(initial())
                .strategy(strategy.fractionFit(1.0).minFitClients(clients).minAvailableClients(clients)
                        .instructions(instructions()).build())
                .rounds(1)
                .roundTimeout(Duration.ofMinutes(2))
                .seed(3)
                .build();
        closeables.add(c);
        return c.start();
    }

    private final List<FederatedClient> devices = new ArrayList<>();

    private FederatedClient device(InetSocketAddress to, int index, FederatedClient.Builder b) {
        FederatedClient d = b.coordinator(to).clientId("device-" + index).data(deviceData(index))
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500)).seed(index).build();
        closeables.add(d);
        devices.add(d);
        return d.start();
    }

    private Gateway gateway(Coordinator c, String id, int devices, KeyPair signing, SiteServer.Builder site,
                            java.util.function.Function<FederatedClient.Builder, FederatedClient.Builder> up)
            throws Exception {
        SiteServer s = site.name(id).bind(new InetSocketAddress("127.0.0.1", 0))
                .modelSigningKey(signing.getPrivate())
                .selection(1.0, devices, devices)
                .build();
        Gateway g = Gateway.start(s, b -> up.apply(b.coordinator(c.localAddress()).clientId(id)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))), devices);
        closeables.add(g);
        return g;
    }

    /** The FedAvg of the devices' updates, computed here by training each device's data directly. */
    private static float[] expectedModel(int[] devices) {
        GlobalModel m = initial();
        double[] sum = new double[m.parameterCount()];
        long total = 0;
        for (int d : devices) {
            FitInstructions in = instructions();
            LocalUpdate u = new LocalTrainer(deviceData(d)).train(m, in.localEpochs(), in.batchSize(),
                    in.learningRate(), d);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += u.numExamples() * (double) u.delta()[i];
            }
            total += u.numExamples();
        }
        float[] out = new float[sum.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (m.parameters()[i] + sum[i] / total);
        }
        return out;
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertClose(expected, actual, 2e-6);
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        double maxDiff = 0;
        double maxStep = 0;
        float[] start = initial().parameters();
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
            maxStep = Math.max(maxStep, Math.abs(expected[i] - start[i]));
        }
        assertTrue(maxStep > 1e-3, "training moved the model (" + maxStep + ")");
        assertTrue(maxDiff < tolerance, "largest difference from the flat mean: " + maxDiff);
    }

    @Test
    void twoGatewaysPublishTheFlatMeanOfTheirDevicesUpdates() throws Exception {
        Coordinator c = coordinator(2, Coordinator.builder());
        KeyPair signing = ModelSigner.newKeyPair();
        Gateway a = gateway(c, "gateway-a", 4, signing, SiteServer.builder(), b -> b);
        Gateway b = gateway(c, "gateway-b", 4, signing, SiteServer.builder(), u -> u);
        for (int d = 0; d < 8; d++) {
            Gateway g = d < 4 ? a : b;
            device(g.site().localAddress(), d, FederatedClient.builder().trustedModelKey(signing.getPublic()));
        }
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the round finished");
        RoundRecord r = c.history().rounds().get(0);
        assertTrue(r.succeeded(), r.outcome());
        assertEquals(2, r.clients(), "two partial aggregates");
        assertClose(expectedModel(new int[] {0, 1, 2, 3, 4, 5, 6, 7}), c.globalModel().parameters());
        assertEquals(4, a.site().lastAggregate().orElseThrow().devices());
        long examplesA = SIZES[0] + SIZES[1] + SIZES[2] + SIZES[3];
        assertEquals(examplesA, a.site().lastAggregate().orElseThrow().examples());
        // the federation is over: the gateways end and tell their devices
        c.close();
        assertTrue(a.awaitTermination(1, TimeUnit.MINUTES) && b.awaitTermination(1, TimeUnit.MINUTES));
        assertEquals(ClientEnding.Kind.FINISHED, a.ending().orElseThrow().kind());
        for (FederatedClient d : devices) {
            assertTrue(d.awaitTermination(1, TimeUnit.MINUTES), "the gateway told its devices the federation is over");
            assertEquals(ClientEnding.Kind.FINISHED, d.ending().orElseThrow().kind());
            assertEquals(1, d.updatesAccepted());
        }
    }

    /**
     * Federated evaluation through the tier: each gateway sums its devices' confusion matrices and
     * sends one up; the coordinator's is the sum over all eight devices, computed here a second way
     * by running the published model on each device's data.
     */
    @Test
    void devicesConfusionMatricesReachTheCoordinatorSummedByTheirGateways() throws Exception {
        Coordinator c = coordinator(2, Coordinator.builder(), FedAvg.builder().evaluateOnClients(1.0, 2, 64));
        KeyPair signing = ModelSigner.newKeyPair();
        Gateway a = gateway(c, "gateway-a", 4, signing, SiteServer.builder(), u -> u);
        Gateway b = gateway(c, "gateway-b", 4, signing, SiteServer.builder(), u -> u);
        for (int d = 0; d < 8; d++) {
            device((d < 4 ? a : b).site().localAddress(), d,
                    FederatedClient.builder().trustedModelKey(signing.getPublic()));
        }
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the round finished");
        RoundRecord r = c.history().rounds().get(0);
        assertTrue(r.succeeded(), r.outcome());
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = Dl4jModels.instantiate(c.globalModel());
        long[][] expected = new long[10][10];
        long correct = 0;
        long total = 0;
        for (int d = 0; d < 8; d++) {
            DataSet data = deviceData(d);
            org.nd4j.linalg.api.ndarray.INDArray predicted = net.output(data.getFeatures()).argMax(1);
            org.nd4j.linalg.api.ndarray.INDArray actual = data.getLabels().argMax(1);
            for (int i = 0; i < data.numExamples(); i++) {
                int t = actual.getInt(i);
                int p = predicted.getInt(i);
                expected[t][p]++;
                correct += t == p ? 1 : 0;
                total++;
            }
        }
        java.util.Map<String, Double> m = r.evaluationMetrics();
        long summed = 0;
        for (int t = 0; t < 10; t++) {
            for (int p = 0; p < 10; p++) {
                String key = RoundRecord.FEDERATED_METRICS + "confusion/" + t + "/" + p;
                assertEquals(expected[t][p], m.getOrDefault(key, 0.0), 0, key + " of " + m);
                summed += expected[t][p];
            }
        }
        assertEquals(java.util.Arrays.stream(SIZES).sum(), summed, "every device's every example once");
        assertEquals((double) correct / total, r.federatedAccuracy(), 1e-9);
        long cells = java.util.Arrays.stream(expected).flatMapToLong(java.util.Arrays::stream).filter(v -> v > 0).count();
        assertTrue(cells > 10, "a matrix of many cells, so a misplaced count shows: " + cells);
    }

    @Test
    void aSiteThatAggregatesSecurelySendsUpTheSameMean() throws Exception {
        Coordinator c = coordinator(1, Coordinator.builder());
        KeyPair signing = ModelSigner.newKeyPair();
        Gateway g = gateway(c, "gateway-s", 3, signing,
                SiteServer.builder().secureAggregation(io.fedge.coordinator.SecureAggregation.defaults()), u -> u);
        for (int d = 0; d < 3; d++) {
            device(g.site().localAddress(), d, FederatedClient.builder().trustedModelKey(signing.getPublic()));
        }
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the round finished");
        assertTrue(c.history().rounds().get(0).succeeded(), c.history().rounds().get(0).outcome());
        assertEquals(3, g.site().lastAggregate().orElseThrow().devices());
        // fixed-point words: the unmasked mean is exact to the encoding's resolution, far below the step
        assertClose(expectedModel(new int[] {0, 1, 2}), c.globalModel().parameters(), 1e-5);
    }

    @Test
    void overMutualTlsOnlyAGatewayCertificateMayAggregate(@TempDir Path certs) throws Exception {
        CertificateDirectory dir = new CertificateDirectory(certs);
        CertificateAuthority ca = dir.createAuthority("test-ca", Duration.ofDays(1), Clock.systemUTC());
        dir.issueServer(ca, List.of("127.0.0.1"), Duration.ofDays(1));
        dir.createModelSigningKey();
        Credentials gw = dir.issueGateway(ca, "gateway-a", List.of("127.0.0.1"), Duration.ofDays(1));
        Credentials impostor = dir.issueClient(ca, "gateway-x", Duration.ofDays(1));
        for (int d = 0; d < 3; d++) {
            dir.issueClient(ca, "device-" + d, Duration.ofDays(1));
        }
        RevocationList crl = RevocationList.watch(dir.loadCaCertificate(), dir.revocationList(), Duration.ofSeconds(1));
        closeables.add(crl);
        Coordinator c = coordinator(1, Coordinator.builder().tls(TlsContexts.server(dir, TlsContexts.provider(), crl))
                .modelSigningKey(dir.loadModelSigningKey()));
        KeyPair signing = new KeyPair(dir.loadGatewayVerifyingKey("gateway-a"), dir.loadGatewaySigningKey("gateway-a"));

        // a device's certificate announcing itself a gateway is refused at registration, with the reason
        SiteServer fakeSite = SiteServer.builder().name("gateway-x").bind(new InetSocketAddress("127.0.0.1", 0))
                .modelSigningKey(signing.getPrivate()).build();
        io.netty.handler.ssl.SslContext impostorTls = clientContext(impostor, dir);
        java.security.PublicKey coordinatorKey = dir.loadModelVerifyingKey();
        Gateway fake = Gateway.start(fakeSite, b -> b.coordinator(c.localAddress()).clientId("gateway-x")
                .tls(impostorTls).trustedModelKey(coordinatorKey), 1);
        closeables.add(fake);
        device(fakeSite.localAddress(), 7, FederatedClient.builder().trustedModelKey(signing.getPublic()));
        assertTrue(fake.awaitTermination(1, TimeUnit.MINUTES), "the impostor gateway gave up");
        assertEquals(ClientEnding.Kind.REFUSED, fake.ending().orElseThrow().kind());
        assertTrue(fake.ending().orElseThrow().reason().contains("not a gateway's"), fake.ending().orElseThrow().reason());

        io.netty.handler.ssl.SslContext gatewayTls = clientContext(gw, dir);
        Gateway g = gateway(c, "gateway-a", 3, signing, SiteServer.builder()
                        .tls(TlsContexts.server(gw, dir.loadCaCertificate(), TlsContexts.provider(), crl)),
                b -> b.tls(gatewayTls).trustedModelKey(coordinatorKey));
        for (int d = 0; d < 3; d++) {
            device(g.site().localAddress(), d, FederatedClient.builder()
                    .tls(TlsContexts.client(dir, "device-" + d, TlsContexts.provider()))
                    .trustedModelKey(signing.getPublic()));
        }
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the round finished");
        assertTrue(c.history().rounds().get(0).succeeded(), c.history().rounds().get(0).outcome());
        assertClose(expectedModel(new int[] {0, 1, 2}), c.globalModel().parameters());
        c.close();
        assertTrue(g.awaitTermination(1, TimeUnit.MINUTES), "the gateway ended with the federation");
        assertEquals(ClientEnding.Kind.FINISHED, g.ending().orElseThrow().kind());
    }

    private static io.netty.handler.ssl.SslContext clientContext(Credentials c, CertificateDirectory dir)
            throws java.io.IOException {
        return TlsContexts.client(c, dir.loadCaCertificate(), TlsContexts.provider());
    }
}
