package io.fedge.comm;

import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.TlsContexts;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The class path of a device without Netty's natives (an Android build): Surefire's
 * {@code without-native-netty} execution (secure-comm's pom) runs this class with
 * {@code netty-transport-classes-epoll}, {@code netty-transport-native-epoll},
 * {@code netty-tcnative-boringssl-static} and {@code netty-tcnative-classes} removed. The process
 * then chooses NIO and the JDK's TLS engine by itself, and a mutual-TLS exchange works.
 */
class WithoutNativeNettyTest {
    /** Set by the Surefire execution that removes the jars. */
    static final String EXECUTION_PROPERTY = "fedge.test.withoutNativeNetty";

    @BeforeAll
    static void onlyInTheExecutionWithoutTheJars() {
        assumeTrue(Boolean.getBoolean(EXECUTION_PROPERTY),
                "runs in secure-comm's without-native-netty Surefire execution only");
    }

    @Test
    void theEpollAndTcnativeClassesAreNotOnTheClassPath() {
        ClassLoader loader = WithoutNativeNettyTest.class.getClassLoader();
        for (String name : List.of(EpollTransport.PROBE_CLASS, "io.netty.channel.epoll.EpollSocketChannel",
                "io.netty.internal.tcnative.SSL", "io.netty.internal.tcnative.SSLContext")) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name, false, loader), name);
        }
    }

    @Test
    void theProcessFallsBackToNioAndSaysWhy() {
        assertEquals("fedge: Netty transport NIO; epoll is unavailable here "
                        + "(ClassNotFoundException: io.netty.channel.epoll.Epoll)",
                TransportSelection.choose(null, EpollTransport::unavailability).fallback().orElseThrow());
        assertSame(Transport.NIO, Transports.selected());
        assertEquals(NioSocketChannel.class, Transports.channelClass());
        IllegalStateException epoll = assertThrows(IllegalStateException.class, Transport.EPOLL::channelClass);
        assertEquals("Netty's epoll transport is unavailable here: ClassNotFoundException: io.netty.channel.epoll.Epoll",
                epoll.getMessage());
    }

    @Test
    void theProcessFallsBackToTheJdksTlsEngine() {
        assertSame(SslProvider.JDK, TlsContexts.provider());
    }

    @Test
    void aContextAskedForOpenSslSaysItIsUnavailable(@TempDir Path certs) throws Exception {
        CertificateDirectory dir = new CertificateDirectory(certs);
        CertificateAuthority ca = dir.createAuthority("fleet-ca", Duration.ofDays(1), Clock.systemUTC());
        dir.issueServer(ca, List.of("localhost"), Duration.ofDays(1));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TlsContexts.server(dir, SslProvider.OPENSSL));
        assertEquals("TLS engine OPENSSL asked for, but Netty's OpenSSL engine is unavailable here: "
                + "ClassNotFoundException: io.netty.internal.tcnative.SSLContext", e.getMessage());
    }

    @Test
    void aMutualTlsExchangeWorksOnWhatTheProcessChose(@TempDir Path certs) throws Exception {
        CertificateDirectory dir = new CertificateDirectory(certs);
        CertificateAuthority ca = dir.createAuthority("fleet-ca", Duration.ofDays(1), Clock.systemUTC());
        dir.issueServer(ca, List.of("localhost"), Duration.ofDays(1));
        dir.issueClient(ca, "device-9", Duration.ofDays(1));
        try (MutualTlsLoopback loopback = new MutualTlsLoopback(Transports.selected(),
                TlsContexts.server(dir, TlsContexts.provider()))) {
            MutualTlsLoopback.Exchange x = loopback.exchange(TlsContexts.client(dir, "device-9", TlsContexts.provider()),
                    "device-9");
            assertEquals("device-9", x.welcome().getClientId());
            assertEquals("TLSv1.3", x.clientProtocol());
            assertEquals(NioSocketChannel.class, x.clientChannel());
            assertTrue(x.serverEngine().getName().startsWith("sun.security.ssl."), x.serverEngine().getName());
        }
    }
}
