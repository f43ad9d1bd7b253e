package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutual TLS between a real coordinator and real clients on a loopback socket, with
 * certificates from fedge's own CA, and what the coordinator does with clients that cannot prove
 * who they are.
 */
class TlsFederationTest {
    private static LabeledImages train;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    @TempDir
    Path certs;
    private CertificateDirectory dir;
    private CertificateAuthority ca;

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(1200);
    }

    @BeforeEach
    void issueCertificates() throws Exception {
        dir = new CertificateDirectory(certs);
        ca = dir.createAuthority("test-ca", Duration.ofDays(30), Clock.systemUTC());
        dir.issueServer(ca, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        for (String id : List.of("client-0", "client-1", "client-2")) {
            dir.issueClient(ca, id, Duration.ofDays(30));
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void nettysOpenSslEngineIsAvailable() {
        assertTrue(OpenSsl.isAvailable(), "netty-tcnative-boringssl-static is a dependency: " + OpenSsl.unavailabilityCause());
        assertEquals(SslProvider.OPENSSL, TlsContexts.provider());
    }

    private Coordinator coordinator(int rounds, int clients) throws Exception {
        return coordinator(rounds, clients, SslProvider.JDK);
    }

    private Coordinator coordinator(int rounds, int clients, SslProvider provider) throws Exception {
        Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(clients).minAvailableClients(clients)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(rounds)
                .roundTimeout(Duration.ofMinutes(2))
                .tls(TlsContexts.server(dir, provider))
                .build();
        closeables.add(c);
        return c.start();
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void clientsWithCertificatesTrainOverMutualTls(SslProvider provider) throws Exception {
        Coordinator c = coordinator(2, 2, provider);
        for (int i = 0; i < 2; i++) {
            int[] idx = new int[600];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = i * 600 + j;
            }
            String id = "client-" + i;
            FederatedClient client = FederatedClient.builder()
                    .coordinator(c.localAddress())
                    .clientId(id)
                    .tls(TlsContexts.client(dir, id, provider))
                    .data(train.toDataSet(idx))
                    .seed(i)
                    .build();
            closeables.add(client);
            client.start();
        }
        assertAllRoundsSucceeded(c, 2, 2);
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void theHandshakeIsTls13AndAWelcomeAnswersAClientThatIsWhoItsCertificateSays(SslProvider provider) throws Exception {
        Coordinator c = coordinator(1, 3, provider);
        try (SSLSocket s = connect(c, "client-1")) {
            assertEquals("TLSv1.3", s.getSession().getProtocol());
            Envelope reply = hello(s, "client-1");
            assertEquals(Envelope.BodyCase.WELCOME, reply.getBodyCase());
            assertEquals("client-1", reply.getWelcome().getClientId());
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void aClientCannotSpeakForAnotherId(SslProvider provider) throws Exception {
        Coordinator c = coordinator(1, 3, provider);
        try (SSLSocket s = connect(c, "client-1")) {
            Envelope reply = hello(s, "client-2");
            assertEquals(Envelope.BodyCase.ERROR, reply.getBodyCase());
            assertEquals(io.fedge.comm.proto.ErrorCode.UNAUTHENTICATED, reply.getError().getCode());
            assertClosed(s);
        }
        assertEquals(0, c.connectedClients());
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void aCertificateFromAnotherAuthorityIsRefusedInTheHandshake(SslProvider provider) throws Exception {
        Coordinator c = coordinator(1, 3, provider);
        CertificateAuthority other = CertificateAuthority.create("other-ca", Duration.ofDays(30), Clock.systemUTC());
        Credentials impostor = other.issueClient("client-1", Duration.ofDays(30));
        try (SSLSocket s = connect(c, impostor)) {
            expectRefused(s, "client-1");
        }
        assertEquals(0, c.connectedClients());
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void aRevokedClientIsRefusedWithoutRestartingTheCoordinator(SslProvider provider) throws Exception {
        Coordinator c = coordinator(1, 3, provider);
        try (SSLSocket s = connect(c, "client-2")) {
            assertEquals(Envelope.BodyCase.WELCOME, hello(s, "client-2").getBodyCase());
        }
        dir.revokeClient(ca, "client-2");
        // the revocation list is polled off the event loop (every second by default)
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (SSLSocket s = connect(c, "client-2")) {
                expectRefused(s, "client-2");
            }
        });
        try (SSLSocket s = connect(c, "client-0")) {
            assertEquals(Envelope.BodyCase.WELCOME, hello(s, "client-0").getBodyCase(), "others still get in");
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void clientsHoldingTheRevocationListRefuseARevokedCoordinator(SslProvider provider) throws Exception {
        Coordinator c = coordinator(1, 3, provider); // waits for 3 clients: no round starts
        FederatedClient before = tlsClient(c, "client-0", provider);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(before::isRegistered);
        dir.revokeServer(ca);
        FederatedClient after = tlsClient(c, "client-1", provider);
        // the TCP connection opens, the handshake fails on the client's side, and retrying cannot help: it stops
        assertTrue(after.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS), "the client stopped");
        io.fedge.client.ClientEnding end = after.ending().orElseThrow();
        assertEquals(io.fedge.client.ClientEnding.Kind.REFUSED, end.kind(), end.reason());
        assertTrue(end.reason().startsWith("this client rejects the coordinator's certificate"), end.reason());
        assertEquals(1, after.connectionCount(), "no retry");
        assertFalse(after.isRegistered(), "a client must not register with a revoked coordinator");
        assertEquals(1, c.connectedClients());
        // a coordinator with a new certificate is trusted again
        dir.issueServer(ca, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        Coordinator renewed = coordinator(1, 3, provider);
        FederatedClient again = tlsClient(renewed, "client-1", provider);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(again::isRegistered);
    }

    private static void assertAllRoundsSucceeded(Coordinator c, int clients, long finalVersion) throws InterruptedException {
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "rounds did not finish");
        for (RoundRecord r : c.history().rounds()) {
            assertTrue(r.succeeded(), "round " + r.round());
            assertEquals(clients, r.clients());
        }
        assertEquals(finalVersion, c.globalModel().version());
    }

    private FederatedClient tlsClient(Coordinator c, String id, SslProvider provider) throws Exception {
        FederatedClient client = FederatedClient.builder()
                .coordinator(c.localAddress())
                .clientId(id)
                .tls(TlsContexts.client(dir, id, provider))
                .data(train.toDataSet(new int[] {0, 1, 2, 3}))
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .seed(1)
                .build();
        closeables.add(client);
        return client.start();
    }

    @Test
    void secureAggregationOverMutualTlsSignsKeysAndChecksTheSurvivorList() throws Exception {
        Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(3).minAvailableClients(3)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(2)
                .roundTimeout(Duration.ofMinutes(2))
                .tls(TlsContexts.server(dir, TlsContexts.provider()))
                .secureAggregation(SecureAggregation.defaults())
                .build();
        closeables.add(c);
        c.start();
        for (int i = 0; i < 3; i++) {
            String id = "client-" + i;
            int[] idx = new int[400];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = i * 400 + j;
            }
            FederatedClient client = FederatedClient.builder()
                    .coordinator(c.localAddress())
                    .clientId(id)
                    .tls(TlsContexts.client(dir, id, TlsContexts.provider()))
                    .secureAggregationIdentity(new io.fedge.comm.secagg.SecAggIdentity(dir.loadClient(id),
                            dir.loadCaCertificate()))
                    .data(train.toDataSet(idx))
                    .seed(i)
                    .build();
            closeables.add(client);
            client.start();
        }
        assertAllRoundsSucceeded(c, 3, 2);
        for (RoundRecord r : c.history().rounds()) {
            assertTrue(r.secAggCoordinatorSeconds() > 0);
        }
    }

    @Test
    void aPlainTcpClientGetsNothing() throws Exception {
        Coordinator c = coordinator(1, 3);
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(c.localAddress(), 5_000);
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] hello = Envelope.newBuilder().setHello(Hello.newBuilder()
                    .setProtocolVersion(WireProtocol.VERSION).setClientId("client-0")).build().toByteArray();
            out.writeInt(hello.length);
            out.write(hello);
            out.flush();
            // The TLS layer answers garbage with at most an alert and closes; no Welcome ever comes.
            byte[] buf = new byte[4096];
            int total = 0;
            for (int n; (n = s.getInputStream().read(buf)) > 0; ) {
                total += n;
            }
            assertTrue(total < 64, "only an alert, if anything: " + total + " bytes");
        }
        assertEquals(0, c.connectedClients());
    }

    private SSLSocket connect(Coordinator c, String clientId) throws Exception {
        return connect(c, Credentials.load(dir.clientCertificate(clientId), dir.clientKey(clientId)));
    }

    private SSLSocket connect(Coordinator c, Credentials client) throws Exception {
        return TlsTestSockets.connect(TlsTestSockets.context(client, ca.certificate()), c.localAddress());
    }

    private static Envelope hello(SSLSocket s, String claimedId) throws IOException {
        return TlsTestSockets.hello(s, claimedId);
    }

    /** In TLS 1.3 the server judges the client's certificate after the client's handshake ends. */
    private static void expectRefused(SSLSocket s, String claimedId) {
        try {
            Envelope reply = hello(s, claimedId);
            fail("the coordinator answered a client it should have refused: " + reply.getBodyCase());
        } catch (SSLException | EOFException e) {
            // refused: a TLS alert, or the connection closed
        } catch (IOException e) {
            assertTrue(e.getMessage() != null && (e.getMessage().contains("reset") || e.getMessage().contains("closed")
                    || e.getMessage().contains("Broken pipe")), "unexpected failure: " + e);
        }
    }

    private static void assertClosed(SSLSocket s) throws IOException {
        try {
            assertEquals(-1, s.getInputStream().read(), "the coordinator closes the connection");
        } catch (SSLException e) {
            // closed with an alert
        }
    }
}
