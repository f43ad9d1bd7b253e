package io.fedge.comm.tls;

import java.io.IOException;
import io.fedge.comm.signing.ModelSigner;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The files of a fedge deployment's public key infrastructure, in one folder, as
 * {@code fedge certs} writes them:
 *
 * <pre>
 * ca.crt  ca.key  ca.crl           the authority, its key (keep it off the coordinator) and its revocation list
 * server.crt  server.key           the coordinator's certificate
 * clients/ID.crt  clients/ID.key   one per client id
 * admins/NAME.crt  admins/NAME.key an administrator's, for the coordinator's admin API and dashboard
 * model-signing.key  .pub          the coordinator's Ed25519 key for signing models, and what clients pin
 * </pre>
 *
 * A coordinator needs {@code ca.crt}, {@code ca.crl}, {@code server.crt}, {@code server.key} and
 * {@code model-signing.key}; a client needs {@code ca.crt}, {@code model-signing.pub} and its own
 * pair. Not thread-safe: one process manages the
 * folder at a time.
 */
public final class CertificateDirectory {
    /** How long a revocation list stays valid; {@code fedge certs} signs a new one on every change. */
    public static final Duration CRL_VALIDITY = Duration.ofDays(3650);

    private final Path dir;

    public CertificateDirectory(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    public Path dir() {
        return dir;
    }

    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    public Path caKey() {
        return dir.resolve("ca.key");
    }

    public Path revocationList() {
        return dir.resolve("ca.crl");
    }

    public Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }

    public Path modelSigningKey() {
        return dir.resolve("model-signing.key");
    }

    public Path modelVerifyingKey() {
        return dir.resolve("model-signing.pub");
    }

    /** Creates the coordinator's Ed25519 model-signing key pair here. */
    public void createModelSigningKey() throws IOException {
        if (Files.exists(modelSigningKey())) {
            throw new IOException(modelSigningKey() + " already exists");
        }
        KeyPair keys = ModelSigner.newKeyPair();
        PemFiles.writePrivateKey(modelSigningKey(), keys.getPrivate());
        PemFiles.writePublicKey(modelVerifyingKey(), keys.getPublic());
    }

    /** The coordinator's model-signing key. */
    public PrivateKey loadModelSigningKey() throws IOException {
        return PemFiles.readPrivateKey(modelSigningKey());
    }

    /** The authority's certificate ({@code ca.crt}): what clients trust. */
    public java.security.cert.X509Certificate loadCaCertificate() throws IOException {
        return PemFiles.readCertificate(caCertificate());
    }

    /** A client's certificate and key ({@code clients/ID.crt}, {@code .key}). */
    public Credentials loadClient(String clientId) throws IOException {
        return Credentials.load(clientCertificate(clientId), clientKey(clientId));
    }

    /** The public key clients pin to check models. */
    public PublicKey loadModelVerifyingKey() throws IOException {
        return PemFiles.readPublicKey(modelVerifyingKey());
    }

    public Path clientCertificate(String clientId) {
        return dir.resolve("clients").resolve(clientId + ".crt");
    }

    public Path clientKey(String clientId) {
        return dir.resolve("clients").resolve(clientId + ".key");
    }

    /**
     * Creates a new authority here with an empty revocation list.
     *
     * @throws IOException if the folder already holds an authority, or cannot be written
     */
    public CertificateAuthority createAuthority(String name, Duration validity, Clock clock) throws IOException {
        if (Files.exists(caCertificate()) || Files.exists(caKey())) {
            throw new IOException(dir + " already holds a certificate authority");
        }
        CertificateAuthority ca = CertificateAuthority.create(name, validity, clock);
        ca.credentials().save(caCertificate(), caKey());
        PemFiles.writeCrl(revocationList(), ca.revocationList(Set.of(), null, CRL_VALIDITY));
        return ca;
    }

    /** The authority kept here (needs {@code ca.key}). */
    public CertificateAuthority authority(Clock clock) throws IOException {
        return CertificateAuthority.of(Credentials.load(caCertificate(), caKey()), clock);
    }

    /** Issues and writes the coordinator's certificate for {@code names}. */
    public Credentials issueServer(CertificateAuthority ca, List<String> names, Duration validity) throws IOException {
        Credentials c = ca.issueServer(names, validity);
        c.save(serverCertificate(), serverKey());
        return c;
    }

    public Path adminCertificate(String name) {
        return dir.resolve("admins").resolve(name + ".crt");
    }

    public Path adminKey(String name) {
        return dir.resolve("admins").resolve(name + ".key");
    }

    /** An administrator's certificate and key ({@code admins/NAME.crt}, {@code .key}). */
    public Credentials loadAdmin(String name) throws IOException {
        return Credentials.load(adminCertificate(name), adminKey(name));
    }

    /** Issues and writes an administrator's certificate ({@link CertificateAuthority#issueAdmin}). */
    public Credentials issueAdmin(CertificateAuthority ca, String name, Duration validity) throws IOException {
        Credentials c = ca.issueAdmin(name, validity);
        c.save(adminCertificate(name), adminKey(name));
        return c;
    }

    public Path gatewayCertificate(String gatewayId) {
        return dir.resolve("gateways").resolve(gatewayId + ".crt");
    }

    public Path gatewayKey(String gatewayId) {
        return dir.resolve("gateways").resolve(gatewayId + ".key");
    }

    /** The gateway's own Ed25519 model-signing key: it signs the tasks and models it sends its devices. */
    public Path gatewaySigningKey(String gatewayId) {
        return dir.resolve("gateways").resolve(gatewayId + "-model-signing.key");
    }

    /** What the gateway's devices pin to check its models and tasks. */
    public Path gatewayVerifyingKey(String gatewayId) {
        return dir.resolve("gateways").resolve(gatewayId + "-model-signing.pub");
    }

    /** A model-signing public key from a PEM file anywhere (a coordinator's or a gateway's .pub). */
    public static PublicKey readVerifyingKey(Path file) throws IOException {
        return PemFiles.readPublicKey(file);
    }

    /** The gateway's model-signing key. */
    public PrivateKey loadGatewaySigningKey(String gatewayId) throws IOException {
        return PemFiles.readPrivateKey(gatewaySigningKey(gatewayId));
    }

    /** The public key the gateway's devices pin. */
    public PublicKey loadGatewayVerifyingKey(String gatewayId) throws IOException {
        return PemFiles.readPublicKey(gatewayVerifyingKey(gatewayId));
    }

    /** A gateway's certificate and key ({@code gateways/ID.crt}, {@code .key}). */
    public Credentials loadGateway(String gatewayId) throws IOException {
        return Credentials.load(gatewayCertificate(gatewayId), gatewayKey(gatewayId));
    }

    /**
     * Issues and writes a gateway's certificate ({@link CertificateAuthority#issueGateway}) and,
     * unless it has one, its model-signing key pair.
     */
    public Credentials issueGateway(CertificateAuthority ca, String gatewayId, List<String> names, Duration validity)
            throws IOException {
        Credentials c = ca.issueGateway(gatewayId, names, validity);
        c.save(gatewayCertificate(gatewayId), gatewayKey(gatewayId));
        if (!Files.exists(gatewaySigningKey(gatewayId))) {
            KeyPair keys = ModelSigner.newKeyPair();
            PemFiles.writePrivateKey(gatewaySigningKey(gatewayId), keys.getPrivate());
            PemFiles.writePublicKey(gatewayVerifyingKey(gatewayId), keys.getPublic());
        }
        return c;
    }

    /** Adds a gateway's certificate to the revocation list. */
    public BigInteger revokeGateway(CertificateAuthority ca, String gatewayId) throws IOException {
        return revoke(ca, gatewayCertificate(gatewayId));
    }

    /** Adds an administrator's certificate to the revocation list. */
    public BigInteger revokeAdmin(CertificateAuthority ca, String name) throws IOException {
        return revoke(ca, adminCertificate(name));
    }

    /** Issues and writes a client's certificate. */
    public Credentials issueClient(CertificateAuthority ca, String clientId, Duration validity) throws IOException {
        Credentials c = ca.issueClient(clientId, validity);
        c.save(clientCertificate(clientId), clientKey(clientId));
        return c;
    }

    /**
     * Adds the client's certificate to the revocation list and writes the new list; a running
     * coordinator picks it up at the next handshake.
     *
     * @return the revoked certificate's serial number
     */
    public BigInteger revokeClient(CertificateAuthority ca, String clientId) throws IOException {
        return revoke(ca, clientCertificate(clientId));
    }

    /**
     * Adds the coordinator's current certificate ({@code server.crt}) to the revocation list:
     * clients that hold the list refuse it from their next handshake on. Issue a new one with
     * {@link #issueServer} and hand clients the new list.
     *
     * @return the revoked certificate's serial number
     */
    public BigInteger revokeServer(CertificateAuthority ca) throws IOException {
        return revoke(ca, serverCertificate());
    }

    private BigInteger revoke(CertificateAuthority ca, Path certificate) throws IOException {
        X509Certificate cert = PemFiles.readCertificate(certificate);
        X509CRL previous = Files.exists(revocationList()) ? PemFiles.readCrl(revocationList()) : null;
        Set<BigInteger> serials = new HashSet<>();
        if (previous != null && previous.getRevokedCertificates() != null) {
            for (X509CRLEntry e : previous.getRevokedCertificates()) {
                serials.add(e.getSerialNumber());
            }
        }
        serials.add(cert.getSerialNumber());
        PemFiles.writeCrl(revocationList(), ca.revocationList(serials, previous, CRL_VALIDITY));
        return cert.getSerialNumber();
    }
}
