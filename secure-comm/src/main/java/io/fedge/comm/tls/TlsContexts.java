package io.fedge.comm.tls;

import io.fedge.comm.CauseLine;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Netty TLS contexts for fedge's mutual TLS: TLS 1.3 only, the coordinator requires a client
 * certificate issued by the fedge CA and not revoked, and the client checks that the
 * coordinator's certificate comes from the same CA and names the host it dialled. Every context is
 * built for the {@link SslProvider} it is given; {@link #provider()} is the process's default:
 * Netty's OpenSSL engine (BoringSSL, from {@code netty-tcnative-boringssl-static}) when it loads,
 * the JDK's engine otherwise. A context asked for an OpenSSL provider where that engine cannot
 * load throws {@link IllegalStateException} with the reason. Thread-safe.
 */
public final class TlsContexts {
    /** The only protocol fedge speaks. */
    public static final String PROTOCOL = "TLSv1.3";

    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    private static SslProvider provider;

    private TlsContexts() {
    }

    /**
     * The process's TLS engine, decided once on first use: {@link SslProvider#OPENSSL} when Netty's
     * OpenSSL engine loads (its classes and BoringSSL's native library for this machine are on the
     * class path), {@link SslProvider#JDK} otherwise, logged in one INFO line with the reason. The
     * system property {@code fedge.tls.provider} overrides: {@code auto} (the default), {@code jdk},
     * or {@code openssl}, which fails when OpenSSL cannot load.
     *
     * @throws IllegalArgumentException if {@code fedge.tls.provider} is set to something else
     * @throws IllegalStateException if {@code fedge.tls.provider=openssl} and OpenSSL cannot load
     */
    public static synchronized SslProvider provider() {
        if (provider == null) {
            TlsProviderSelection.Choice choice = TlsProviderSelection.choose(
                    System.getProperty(TlsProviderSelection.PROPERTY), TlsContexts::openSslUnavailability);
            choice.fallback().ifPresent(log::info);
            provider = choice.provider();
        }
        return provider;
    }

    /**
     * {@code provider}, after checking that Netty's OpenSSL engine loads when it is the one asked
     * for: without netty-tcnative Netty would fail later with a {@code NoClassDefFoundError}.
     */
    private static SslProvider available(SslProvider provider) {
        if (provider == SslProvider.OPENSSL || provider == SslProvider.OPENSSL_REFCNT) {
            Optional<Throwable> cause = openSslUnavailability();
            if (cause.isPresent()) {
                throw new IllegalStateException("TLS engine " + provider + " asked for, but Netty's OpenSSL engine "
                        + "is unavailable here: " + CauseLine.of(cause.get()), cause.get());
            }
        }
        return provider;
    }

    /** Why Netty's OpenSSL engine cannot be used here, or empty when it can. */
    static Optional<Throwable> openSslUnavailability() {
        // OpenSsl is netty-handler's; it catches a missing netty-tcnative itself
        return OpenSsl.isAvailable() ? Optional.empty() : Optional.of(OpenSsl.unavailabilityCause());
    }

    /**
     * Above this session lifetime the JDK's TLS 1.3 server sends no session tickets
     * ({@code sun.security.ssl.NewSessionTicket}: "Session timeout is too long. No ticket sent"),
     * which leaves a client nothing to resume with.
     */
    static final int JDK_NO_TICKET_SESSION_TIMEOUT_SECONDS = 604_800 + 1;

    /**
     * The coordinator's context from {@code dir}: {@code server.crt}, {@code server.key},
     * {@code ca.crt} and {@code ca.crl} (polled every {@link RevocationList#DEFAULT_POLL_INTERVAL}).
     */
    public static SslContext server(CertificateDirectory dir, SslProvider provider) throws IOException {
        available(provider); // before the revocation list's watch starts
        X509Certificate ca = PemFiles.readCertificate(dir.caCertificate());
        return server(dir, provider, RevocationList.watch(ca, dir.revocationList(), RevocationList.DEFAULT_POLL_INTERVAL));
    }

    /**
     * The coordinator's context from {@code dir} ({@code server.crt}, {@code server.key},
     * {@code ca.crt}), checking clients against {@code revocations}. No session is resumed without
     * the full certificate check: the JDK's engine issues no session tickets, and Netty's OpenSSL
     * engine keeps no session cache and runs the trust manager again on a resumed session, so every
     * connection's client certificate is checked against the revocation list in force.
     */
    public static SslContext server(CertificateDirectory dir, SslProvider provider, RevocationList revocations)
            throws IOException {
        return server(Credentials.load(dir.serverCertificate(), dir.serverKey()),
                PemFiles.readCertificate(dir.caCertificate()), provider, revocations);
    }

    /**
     * A server context presenting {@code server} (a coordinator's or a gateway's certificate) that
     * requires client certificates of {@code ca}, checked against {@code revocations}, as
     * {@link #server(CertificateDirectory, SslProvider, RevocationList)} does.
     */
    public static SslContext server(Credentials server, X509Certificate ca, SslProvider provider,
                                    RevocationList revocations) throws IOException {
        SslContextBuilder b = SslContextBuilder.forServer(server.key(), server.certificate())
                .sslProvider(available(provider))
                .protocols(PROTOCOL)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(new RevocationCheckingTrustManager(ca, revocations, Clock.systemUTC()));
        if (provider == SslProvider.JDK) {
            b.sessionCacheSize(1).sessionTimeout(JDK_NO_TICKET_SESSION_TIMEOUT_SECONDS);
        }
        return withoutResumption(b.build());
    }

    /**
     * Turns the session cache off on a server context of Netty's OpenSSL engine. BoringSSL may
     * still accept a TLS 1.3 ticket, but Netty then calls the trust manager's
     * {@link RevocationCheckingTrustManager#resumeClientTrusted} (it is a
     * {@link io.netty.handler.ssl.ResumableX509ExtendedTrustManager}), which runs the full check
     * again. (The JDK's context is configured through its builder to send no tickets.)
     */
    static SslContext withoutResumption(SslContext context) {
        if (context instanceof OpenSslContext openSsl) {
            openSsl.sessionContext().setSessionCacheEnabled(false);
        }
        return context;
    }

    /**
     * A server context with the coordinator's certificate that asks clients for none: for
     * endpoints devices without certificates use, such as the edge model download.
     */
    public static SslContext serverWithoutClientAuth(CertificateDirectory dir, SslProvider provider) throws IOException {
        return serverWithoutClientAuth(Credentials.load(dir.serverCertificate(), dir.serverKey()), provider);
    }

    /** As {@link #serverWithoutClientAuth(CertificateDirectory, SslProvider)} with {@code server}'s certificate (a gateway's). */
    public static SslContext serverWithoutClientAuth(Credentials server, SslProvider provider) throws IOException {
        return SslContextBuilder.forServer(server.key(), server.certificate())
                .sslProvider(available(provider))
                .protocols(PROTOCOL)
                .clientAuth(ClientAuth.NONE)
                .build();
    }

    /**
     * A client's context from {@code dir}: {@code ca.crt} and {@code clients/ID.crt}, {@code .key};
     * with {@code ca.crl} there too, the coordinator's certificate is checked against it at every
     * handshake (re-read when it changes), so a revoked coordinator is refused.
     */
    public static SslContext client(CertificateDirectory dir, String clientId, SslProvider provider) throws IOException {
        Credentials client = Credentials.load(dir.clientCertificate(clientId), dir.clientKey(clientId));
        X509Certificate ca = PemFiles.readCertificate(dir.caCertificate());
        if (!Files.exists(dir.revocationList())) {
            return client(client, ca, provider);
        }
        return clientBuilder(client, provider)
                .trustManager(new RevocationCheckingTrustManager(ca, dir.revocationList(), Clock.systemUTC()))
                .build();
    }

    /** A client's context from credentials in memory (a simulation's). */
    public static SslContext client(Credentials client, X509Certificate ca, SslProvider provider) throws IOException {
        return clientBuilder(client, provider).trustManager(ca).build();
    }

    private static SslContextBuilder clientBuilder(Credentials client, SslProvider provider) {
        return SslContextBuilder.forClient()
                .sslProvider(available(provider))
                .protocols(PROTOCOL)
                .keyManager(client.key(), client.certificate())
                .endpointIdentificationAlgorithm("HTTPS");
    }

    /**
     * The common name of the certificate the peer on {@code tls}'s connection presented: a
     * client's id. Empty before the handshake or without a client certificate.
     */
    public static Optional<String> peerCommonName(SslHandler tls) {
        return peerCertificate(tls).flatMap(TlsContexts::commonName);
    }

    /** The certificate the peer on {@code tls}'s connection presented; empty before the handshake or without one. */
    public static Optional<X509Certificate> peerCertificate(SslHandler tls) {
        try {
            Certificate[] chain = tls.engine().getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return Optional.empty();
            }
            return Optional.of(leaf);
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** The common name in a certificate's subject: a client's id. */
    public static Optional<String> commonName(X509Certificate certificate) {
        RDN[] cn = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        return cn.length == 0 ? Optional.empty() : Optional.of(IETFUtils.valueToString(cn[0].getFirst().getValue()));
    }
}
