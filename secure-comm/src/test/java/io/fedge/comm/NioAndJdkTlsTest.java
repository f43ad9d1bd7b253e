package io.fedge.comm;

import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.TlsContexts;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSslEngine;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fallbacks a device without Netty's natives runs on, forced by explicit arguments on a machine
 * that has them: the NIO transport and the JDK's TLS engine carry a real mutual-TLS exchange over a
 * loopback socket, check the certificates both ways, and refuse a client of another authority.
 */
class NioAndJdkTlsTest {
    private static final String ID = "device-7";
    private static final Duration VALID = Duration.ofDays(1);

    @TempDir
    Path fleetDir;
    @TempDir
    Path foreignDir;
    private CertificateDirectory fleet;
    private CertificateDirectory foreign;
    private MutualTlsLoopback loopback;

    @BeforeEach
    void certificates() throws Exception {
        fleet = new CertificateDirectory(fleetDir);
        CertificateAuthority ca = fleet.createAuthority("fleet-ca", VALID, Clock.systemUTC());
        fleet.issueServer(ca, List.of("localhost", "127.0.0.1"), VALID);
        fleet.issueClient(ca, ID, VALID);
        foreign = new CertificateDirectory(foreignDir);
        CertificateAuthority other = foreign.createAuthority("other-ca", VALID, Clock.systemUTC());
        foreign.issueServer(other, List.of("localhost"), VALID);
        foreign.issueClient(other, ID, VALID);
        loopback = new MutualTlsLoopback(Transport.NIO, TlsContexts.server(fleet, SslProvider.JDK));
    }

    @AfterEach
    void close() {
        loopback.close();
    }

    @Test
    void nioAndTheJdkEngineCarryAMutualTls13Exchange() throws Exception {
        MutualTlsLoopback.Exchange x = loopback.exchange(TlsContexts.client(fleet, ID, SslProvider.JDK), "someone-else");
        // the Welcome names the id the server read from the certificate, not the one the Hello claimed
        assertEquals(ID, x.welcome().getClientId());
        assertEquals("TLSv1.3", x.clientProtocol());
        assertEquals("TLSv1.3", x.serverProtocol());
        assertEquals(NioSocketChannel.class, x.clientChannel());
        assertEquals(NioSocketChannel.class, x.serverChannel());
        for (Class<?> engine : List.of(x.clientEngine(), x.serverEngine())) {
            assertTrue(engine.getName().startsWith("sun.security.ssl."), engine.getName());
            assertFalse(ReferenceCountedOpenSslEngine.class.isAssignableFrom(engine), engine.getName());
            assertFalse(OpenSslEngine.class.isAssignableFrom(engine), engine.getName());
        }
    }

    @Test
    void theJdkEngineRefusesAClientCertificateOfAnotherAuthority() throws Exception {
        // trusts the fleet's CA for the server, but presents the other authority's certificate
        java.nio.file.Files.copy(fleet.caCertificate(), foreign.caCertificate(),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.deleteIfExists(foreign.revocationList());
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> loopback.exchange(TlsContexts.client(foreign, ID, SslProvider.JDK), ID));
        assertFalse(refused.getCause() instanceof java.util.concurrent.TimeoutException, refused.toString());
    }

    @Test
    void theJdkEngineRefusesAServerCertificateOfAnotherAuthority() throws Exception {
        try (MutualTlsLoopback stranger = new MutualTlsLoopback(Transport.NIO, TlsContexts.server(foreign, SslProvider.JDK))) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> stranger.exchange(TlsContexts.client(fleet, ID, SslProvider.JDK), ID));
            assertTrue(refused.getCause() instanceof javax.net.ssl.SSLHandshakeException
                    || refused.getCause().getCause() instanceof javax.net.ssl.SSLHandshakeException, refused.toString());
        }
    }
}
