package io.fedge.client;

import io.fedge.comm.proto.ByeCode;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.TlsContexts;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TLS handshake that fails on a certificate ends the client at once with the reason, whichever
 * side rejects it: the client a coordinator certificate from another CA, the coordinator a client
 * certificate from another CA or a revoked one. Retrying could never succeed.
 */
class TlsRefusalTest {
    private static final String ID = "device-3";
    private static final Duration VALID = Duration.ofDays(1);

    @TempDir
    Path fleetDir;
    @TempDir
    Path foreignDir;

    private CertificateDirectory fleet;
    private CertificateDirectory foreign;
    private CertificateAuthority fleetCa;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void authorities() throws Exception {
        fleet = new CertificateDirectory(fleetDir);
        fleetCa = fleet.createAuthority("fleet-ca", VALID, Clock.systemUTC());
        fleet.issueServer(fleetCa, List.of("localhost", "127.0.0.1"), VALID);
        fleet.issueClient(fleetCa, ID, VALID);
        foreign = new CertificateDirectory(foreignDir);
        CertificateAuthority foreignCa = foreign.createAuthority("foreign-ca", VALID, Clock.systemUTC());
        foreign.issueServer(foreignCa, List.of("localhost", "127.0.0.1"), VALID);
        foreign.issueClient(foreignCa, ID, VALID);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** A coordinator with {@code server}'s certificate and trust that welcomes and ends the federation. */
    private FakeCoordinator coordinator(CertificateDirectory server) throws Exception {
        FakeCoordinator c = new FakeCoordinator(TlsContexts.server(server, TlsContexts.provider()), (ctx, n) -> {
            ctx.writeAndFlush(FakeCoordinator.welcome());
            ctx.writeAndFlush(Envelope.newBuilder().setBye(Bye.newBuilder().setCode(ByeCode.FEDERATION_FINISHED)
                    .setReason("done")).build()).addListener(ChannelFutureListener.CLOSE);
        });
        closeables.add(c);
        return c;
    }

    private ClientEnding run(FakeCoordinator c, CertificateDirectory clientSide) throws Exception {
        SslContext tls = TlsContexts.client(clientSide, ID, TlsContexts.provider());
        FederatedClient client = FederatedClient.builder()
                .coordinator("127.0.0.1", c.address().getPort())
                .clientId(ID)
                .tls(tls)
                .data(TinyModels.data())
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .build();
        closeables.add(client);
        client.start();
        assertTrue(client.awaitTermination(20, TimeUnit.SECONDS), "the client ended");
        return client.ending().orElseThrow();
    }

    @Test
    void certificatesOfTheFleetJoin() throws Exception {
        FakeCoordinator c = coordinator(fleet);
        ClientEnding end = run(c, fleet);
        assertEquals(ClientEnding.Kind.FINISHED, end.kind(), end.reason());
    }

    @Test
    void aCoordinatorCertificateFromAnotherAuthorityEndsTheClient() throws Exception {
        FakeCoordinator c = coordinator(foreign);
        ClientEnding end = run(c, fleet);
        assertEquals(ClientEnding.Kind.REFUSED, end.kind(), end.reason());
        assertTrue(end.reason().startsWith("this client rejects the coordinator's certificate"), end.reason());
        assertEquals(0, c.hellos.get());
        assertEquals(1, c.connections.get(), "no retry");
    }

    @Test
    void aClientCertificateFromAnotherAuthorityEndsTheClient() throws Exception {
        // the coordinator trusts the fleet's CA; this client's certificate is the foreign CA's,
        // though it trusts the fleet's CA for the coordinator's certificate
        java.nio.file.Files.copy(fleet.caCertificate(), foreign.caCertificate(),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.delete(foreign.revocationList());
        FakeCoordinator c = coordinator(fleet);
        ClientEnding end = run(c, foreign);
        assertEquals(ClientEnding.Kind.REFUSED, end.kind(), end.reason());
        assertTrue(end.reason().startsWith("the coordinator rejects this client's certificate"), end.reason());
        assertEquals(1, c.connections.get(), "no retry");
    }

    @Test
    void aRevokedClientCertificateEndsTheClient() throws Exception {
        fleet.revokeClient(fleetCa, ID);
        FakeCoordinator c = coordinator(fleet);
        ClientEnding end = run(c, fleet);
        assertEquals(ClientEnding.Kind.REFUSED, end.kind(), end.reason());
        assertTrue(end.reason().startsWith("the coordinator rejects this client's certificate"), end.reason());
        assertEquals(1, c.connections.get(), "no retry");
    }
}
