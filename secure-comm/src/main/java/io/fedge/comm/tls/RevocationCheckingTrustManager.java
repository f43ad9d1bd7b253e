package io.fedge.comm.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.Objects;
import io.netty.handler.ssl.ResumableX509ExtendedTrustManager;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Judges the peer's certificate on either side of a fedge connection: the chain must lead to the
 * fedge CA (PKIX, as the JDK checks it, with the host name check the engine asks for), and the
 * peer's certificate must not be on the CA's revocation list. The coordinator uses it for
 * clients; a client whose certificate folder holds {@code ca.crl} uses it for the coordinator, so a
 * stolen coordinator key can be revoked too. The list is a {@link RevocationList}: a snapshot that
 * a watcher thread swaps when the file changes, so a revocation takes effect within its poll
 * interval without a restart, and a handshake never reads the file on its (event loop) thread. A
 * list that is missing or not signed by the CA when the trust manager is made, or past its
 * next-update time at a handshake, refuses every peer: revocation fails closed.
 *
 * <p>Thread-safe.
 */
public final class RevocationCheckingTrustManager extends X509ExtendedTrustManager
        implements ResumableX509ExtendedTrustManager {
    private final X509Certificate ca;
    private final X509ExtendedTrustManager pkix;
    private final RevocationList revocations;
    private final Clock clock;

    /**
     * Watches {@code crlFile} every {@link RevocationList#DEFAULT_POLL_INTERVAL}.
     *
     * @throws IOException if the revocation list cannot be read or is not the CA's
     */
    public RevocationCheckingTrustManager(X509Certificate ca, Path crlFile, Clock clock) throws IOException {
        this(ca, RevocationList.watch(ca, crlFile, RevocationList.DEFAULT_POLL_INTERVAL), clock);
    }

    /** Checks peers against {@code revocations}, a list of {@code ca}'s. */
    public RevocationCheckingTrustManager(X509Certificate ca, RevocationList revocations, Clock clock) {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.revocations = Objects.requireNonNull(revocations, "revocations");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pkix = pkixTrusting(ca);
    }

    /** The revocation list this trust manager checks against. */
    public RevocationList revocations() {
        return revocations;
    }

    static X509ExtendedTrustManager pkixTrusting(X509Certificate ca) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("fedge-ca", ca);
            TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK's PKIX trust manager factory made no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust manager for the fedge CA", e);
        }
    }

    private void checkNotRevoked(X509Certificate[] chain) throws CertificateException {
        revocations.countCheck();
        X509CRL list = revocations.snapshot().crl();
        Date now = Date.from(clock.instant());
        if (list.getNextUpdate() != null && now.after(list.getNextUpdate())) {
            throw new CertificateException("revocation list " + revocations.file() + " expired on "
                    + list.getNextUpdate() + ", refusing every peer");
        }
        java.security.cert.X509CRLEntry entry = list.getRevokedCertificate(chain[0]);
        if (entry != null) {
            // A CertificateRevokedException, so that TLS tells the peer "certificate_revoked" and the
            // peer can tell a revoked certificate, which retrying cannot fix, from a passing failure.
            throw new Revoked("certificate of " + chain[0].getSubjectX500Principal().getName()
                    + " (serial " + chain[0].getSerialNumber().toString(16) + ") is revoked", entry,
                    list.getIssuerX500Principal());
        }
    }

    /** A revoked peer certificate, with fedge's message. */
    private static final class Revoked extends java.security.cert.CertificateRevokedException {
        private static final long serialVersionUID = 1L;
        private final String message;

        Revoked(String message, java.security.cert.X509CRLEntry entry, javax.security.auth.x500.X500Principal issuer) {
            super(entry.getRevocationDate(), entry.getRevocationReason() == null
                    ? java.security.cert.CRLReason.UNSPECIFIED : entry.getRevocationReason(), issuer, java.util.Map.of());
            this.message = message;
        }

        @Override
        public String getMessage() {
            return message;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
        checkNotRevoked(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix.checkClientTrusted(chain, authType, socket);
        checkNotRevoked(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        pkix.checkClientTrusted(chain, authType, engine);
        checkNotRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
        checkNotRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix.checkServerTrusted(chain, authType, socket);
        checkNotRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        pkix.checkServerTrusted(chain, authType, engine);
        checkNotRevoked(chain);
    }

    /**
     * A resumed session (Netty's OpenSSL engine) is judged like a new one: chain and revocation.
     * (There is no handshake session to give the JDK's validator, and the host was checked when
     * the session was made.)
     */
    @Override
    public void resumeClientTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, "UNKNOWN");
    }

    @Override
    public void resumeServerTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, "UNKNOWN");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[] {ca};
    }
}
