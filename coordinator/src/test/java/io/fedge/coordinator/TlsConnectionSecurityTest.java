package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.proto.ByeCode;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.comm.tls.RevocationList;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static io.fedge.coordinator.TlsTestSockets.connect;
import static io.fedge.coordinator.TlsTestSockets.context;
import static io.fedge.coordinator.TlsTestSockets.hello;
import static io.fedge.coordinator.TlsTestSockets.read;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Connection-level TLS protections on real loopback sockets with certificates from fedge's CA, on
 * both engines: revoking a connected client closes its connection, sessions are never resumed,
 * refused handshakes are counted (and logged) by reason, and the connection cap costs no TLS work.
 */
class TlsConnectionSecurityTest {
    private static final Duration POLL = Duration.ofMillis(100);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    @TempDir
    Path certs;
    private CertificateDirectory dir;
    private CertificateAuthority ca;
    private RevocationList revocations;

    @BeforeEach
    void issueCertificates() throws Exception {
        dir = new CertificateDirectory(certs);
        ca = dir.createAuthority("test-ca", Duration.ofDays(30), Clock.systemUTC());
        dir.issueServer(ca, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        for (String id : List.of("client-0", "client-1", "client-2")) {
            dir.issueClient(ca, id, Duration.ofDays(30));
        }
        revocations = RevocationList.watch(ca.certificate(), dir.revocationList(), POLL);
        closeables.add(revocations);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Coordinator coordinator(SslProvider provider, int maxConnections) throws Exception {
        Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(5).minAvailableClients(5) // no round starts
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(1)
                .tls(TlsContexts.server(dir, provider, revocations))
                .revocationList(revocations)
                .maxConnections(maxConnections)
                .build();
        closeables.add(c);
        return c.start();
    }

    private SSLContext clientContext(String id) throws Exception {
        return context(dir.loadClient(id), ca.certificate());
    }

    private SSLSocket registered(Coordinator c, SSLContext tls, String id) throws Exception {
        SSLSocket s = connect(tls, c.localAddress());
        closeables.add(s);
        assertEquals(Envelope.BodyCase.WELCOME, hello(s, id).getBodyCase());
        return s;
    }

    private static void assertEnds(SSLSocket s) {
        assertThrows(IOException.class, () -> {
            while (true) {
                read(s);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void revokingAConnectedClientClosesItsConnectionWithRevokedAndOthersStay(SslProvider provider) throws Exception {
        Coordinator c = coordinator(provider, 100);
        SSLSocket keeps = registered(c, clientContext("client-1"), "client-1");
        SSLSocket revoked = registered(c, clientContext("client-2"), "client-2");
        assertEquals(2, c.connectedClients());

        dir.revokeClient(ca, "client-2"); // what `fedge certs revoke` does

        Envelope error = read(revoked); // within the poll interval; the read times out after 10 s
        assertEquals(ErrorCode.REVOKED, error.getError().getCode());
        Envelope bye = read(revoked);
        assertEquals(ByeCode.REFUSED, bye.getBye().getCode());
        assertEnds(revoked);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.connectedClients() == 1);
        assertEquals(1, c.state().revocation.closedConnections());
        TlsTestSockets.send(keeps, Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()).build());
        assertEquals(Envelope.BodyCase.HEARTBEAT, read(keeps).getBodyCase(), "client-1 is still served");
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void aSecondConnectionDoesNotResumeTheSessionAndIsCheckedAgain(SslProvider provider) throws Exception {
        Coordinator c = coordinator(provider, 100);
        SSLContext tls = clientContext("client-0"); // one client context: it offers its cached session again
        for (int i = 1; i <= 3; i++) {
            SSLSocket s = registered(c, tls, "client-0");
            s.close();
            assertEquals(i, revocations.certificatesChecked(), "connection " + i + " ran a full certificate check");
        }
        // and a client revoked between two connections cannot slip back in on its old session
        dir.revokeClient(ca, "client-0");
        await().atMost(Duration.ofSeconds(10)).until(() -> revocations.snapshot().revokes(
                dir.loadClient("client-0").certificate()));
        SSLSocket again = connect(tls, c.localAddress());
        closeables.add(again);
        assertThrows(IOException.class, () -> hello(again, "client-0"));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                c.state().handshakeLog.refused(TlsHandshakeLog.Reason.REVOKED) == 1);
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void refusedHandshakesAreCountedAndLoggedByReason(SslProvider provider) throws Exception {
        Coordinator c = coordinator(provider, 100);
        CertificateAuthority other = CertificateAuthority.create("other-ca", Duration.ofDays(30), Clock.systemUTC());
        Credentials impostor = other.issueClient("client-1", Duration.ofDays(30));
        dir.revokeClient(ca, "client-2");
        await().atMost(Duration.ofSeconds(10)).until(() -> revocations.snapshot().revokes(
                dir.loadClient("client-2").certificate()));
        List<SSLContext> refused = List.of(context(impostor, ca.certificate()), clientContext("client-2"),
                context(null, ca.certificate()));
        for (SSLContext tls : refused) {
            SSLSocket s = connect(tls, c.localAddress());
            closeables.add(s);
            assertThrows(IOException.class, () -> hello(s, "client-1"));
        }
        TlsHandshakeLog log = c.state().handshakeLog;
        await().atMost(Duration.ofSeconds(10)).until(() -> log.refused(TlsHandshakeLog.Reason.UNKNOWN_CA) == 1
                && log.refused(TlsHandshakeLog.Reason.REVOKED) == 1
                && log.refused(TlsHandshakeLog.Reason.NO_CERTIFICATE) == 1);
        assertEquals(0, c.connectedClients());
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void aConnectionOverTheCapIsClosedBeforeAnyTlsWork(SslProvider provider) throws Exception {
        Coordinator c = coordinator(provider, 1);
        registered(c, clientContext("client-0"), "client-0");
        SSLSocket over = connect(clientContext("client-1"), c.localAddress());
        closeables.add(over);
        assertThrows(IOException.class, () -> hello(over, "client-1"));
        assertEquals(1, c.state().connections.refused());
        for (TlsHandshakeLog.Reason r : TlsHandshakeLog.Reason.values()) {
            assertEquals(0, c.state().handshakeLog.refused(r), "no handshake was even started: " + r);
        }
        assertEquals(1, c.connectedClients());
    }
}
