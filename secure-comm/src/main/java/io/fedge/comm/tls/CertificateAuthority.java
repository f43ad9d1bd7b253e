package io.fedge.comm.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * fedge's own certificate authority, built on Bouncy Castle: it issues the coordinator's
 * certificate (with its host names and addresses as subject alternative names), one certificate
 * per client (the client id as the subject's common name), and the revocation list the
 * coordinator checks every client against. Keys are ECDSA on P-256; certificates and the list
 * are signed with SHA256withECDSA.
 *
 * <pre>{@code
 * CertificateAuthority ca = CertificateAuthority.create("fedge-ca", Duration.ofDays(3650), Clock.systemUTC());
 * Credentials server = ca.issueServer(List.of("coordinator.example", "10.0.0.5"), Duration.ofDays(825));
 * Credentials device = ca.issueClient("device-17", Duration.ofDays(365));
 * X509CRL crl = ca.revocationList(Set.of(device.certificate().getSerialNumber()), Duration.ofDays(30));
 * }</pre>
 *
 * <p>Thread-safe: it holds only immutable state.
 */
public final class CertificateAuthority {
    /** What a client id may look like: it is a certificate's common name and a file name. */
    public static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private final Credentials credentials;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    private CertificateAuthority(Credentials credentials, Clock clock) {
        this.credentials = credentials;
        this.clock = clock;
    }

    /** A new authority with a fresh key and a self-signed certificate valid for {@code validity}. */
    public static CertificateAuthority create(String name, Duration validity, Clock clock) {
        requirePositive(validity);
        KeyPair keys = newKeyPair();
        X500Name subject = commonName(name);
        Instant now = clock.instant();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(new SecureRandom()),
                    Date.from(now.minus(CLOCK_SKEW)), Date.from(now.plus(validity)), subject, keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(keys)));
            return new CertificateAuthority(new Credentials(keys.getPrivate(), cert), clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create a certificate authority", e);
        }
    }

    /** An authority from its existing certificate and key. */
    public static CertificateAuthority of(Credentials credentials, Clock clock) {
        Objects.requireNonNull(credentials, "credentials");
        if (credentials.certificate().getBasicConstraints() < 0) {
            throw new IllegalArgumentException("not a CA certificate: " + credentials.certificate().getSubjectX500Principal());
        }
        return new CertificateAuthority(credentials, Objects.requireNonNull(clock, "clock"));
    }

    /** The authority's own certificate: what every fedge endpoint trusts. */
    public X509Certificate certificate() {
        return credentials.certificate();
    }

    /** The authority's certificate and key. */
    public Credentials credentials() {
        return credentials;
    }

    /**
     * A certificate for a coordinator reachable under {@code names}: DNS names and IP addresses,
     * all written as subject alternative names (clients check the one they dialled).
     */
    public Credentials issueServer(List<String> names, Duration validity) {
        return issue(names.get(0), hostNames(names), new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth), validity);
    }

    /**
     * A gateway's certificate: its common name {@code gatewayId} is the client id it registers
     * with upstream ({@code clientAuth}), {@code names} the host names and addresses its devices
     * dial ({@code serverAuth}), and {@link KeyPurposes#GATEWAY} lets the coordinator take its
     * aggregated updates.
     *
     * @throws IllegalArgumentException if the id does not match {@link #CLIENT_ID} or no name is given
     */
    public Credentials issueGateway(String gatewayId, List<String> names, Duration validity) {
        if (!CLIENT_ID.matcher(gatewayId).matches()) {
            throw new IllegalArgumentException("gateway id must match " + CLIENT_ID.pattern() + ": '" + gatewayId + "'");
        }
        return issue(gatewayId, hostNames(names), new ExtendedKeyUsage(new KeyPurposeId[] {
                KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth, purpose(KeyPurposes.GATEWAY)}), validity);
    }

    private static GeneralNames hostNames(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one host name or address");
        }
        List<GeneralName> sans = new ArrayList<>();
        for (String n : names) {
            boolean ip = n.matches("[0-9.]+") || n.contains(":");
            sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, n));
        }
        return new GeneralNames(sans.toArray(new GeneralName[0]));
    }

    private static KeyPurposeId purpose(String oid) {
        return KeyPurposeId.getInstance(new org.bouncycastle.asn1.ASN1ObjectIdentifier(oid));
    }

    /**
     * A certificate whose common name is {@code clientId}: the only id a client holding it may
     * register as.
     *
     * @throws IllegalArgumentException if the id does not match {@link #CLIENT_ID}
     */
    public Credentials issueClient(String clientId, Duration validity) {
        if (!CLIENT_ID.matcher(clientId).matches()) {
            throw new IllegalArgumentException("client id must match " + CLIENT_ID.pattern() + ": '" + clientId + "'");
        }
        return issue(clientId, null, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth), validity);
    }

    /**
     * An administrator's certificate named {@code name}: {@code clientAuth} plus
     * {@link KeyPurposes#ADMIN}, the only certificates the coordinator's admin API takes.
     *
     * @throws IllegalArgumentException if the name does not match {@link #CLIENT_ID}
     */
    public Credentials issueAdmin(String name, Duration validity) {
        if (!CLIENT_ID.matcher(name).matches()) {
            throw new IllegalArgumentException("admin name must match " + CLIENT_ID.pattern() + ": '" + name + "'");
        }
        return issue(name, null, new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth,
                purpose(KeyPurposes.ADMIN)}), validity);
    }

    private Credentials issue(String commonName, GeneralNames sans, ExtendedKeyUsage purposes, Duration validity) {
        requirePositive(validity);
        KeyPair keys = newKeyPair();
        Instant now = clock.instant();
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(certificate().getNotAfter().toInstant())) {
            notAfter = certificate().getNotAfter().toInstant();
        }
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate(), serial(random),
                    Date.from(now.minus(CLOCK_SKEW)), Date.from(notAfter), commonName(commonName), keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, purposes);
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate()));
            if (sans != null) {
                b.addExtension(Extension.subjectAlternativeName, false, sans);
            }
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(credentials)));
            return new Credentials(keys.getPrivate(), cert);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + commonName, e);
        }
    }

    /**
     * A signed revocation list naming {@code revokedSerials}, valid until {@code validity} from now.
     * Serials of an earlier list keep their revocation date when passed again with it.
     */
    public X509CRL revocationList(Set<BigInteger> revokedSerials, X509CRL previous, Duration validity) {
        requirePositive(validity);
        Instant now = clock.instant();
        X509v2CRLBuilder b = new X509v2CRLBuilder(
                org.bouncycastle.asn1.x500.X500Name.getInstance(certificate().getSubjectX500Principal().getEncoded()),
                Date.from(now));
        b.setNextUpdate(Date.from(now.plus(validity)));
        BigInteger number = BigInteger.ONE;
        if (previous != null) {
            for (X509CRLEntry e : previous.getRevokedCertificates() == null ? Set.<X509CRLEntry>of()
                    : previous.getRevokedCertificates()) {
                if (revokedSerials.contains(e.getSerialNumber())) {
                    b.addCRLEntry(e.getSerialNumber(), e.getRevocationDate(), CRLReason.unspecified);
                }
            }
            byte[] n = previous.getExtensionValue(Extension.cRLNumber.getId());
            if (n != null) {
                number = CRLNumber.getInstance(org.bouncycastle.asn1.ASN1OctetString.getInstance(n).getOctets())
                        .getCRLNumber().add(BigInteger.ONE);
            }
        }
        for (BigInteger serial : revokedSerials) {
            if (previous == null || previous.getRevokedCertificate(serial) == null) {
                b.addCRLEntry(serial, Date.from(now), CRLReason.unspecified);
            }
        }
        try {
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate()));
            X509CRLHolder holder = b.build(signer(credentials));
            return new JcaX509CRLConverter().getCRL(holder);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot sign a revocation list", e);
        }
    }

    private static X500Name commonName(String name) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(127, random).add(BigInteger.ONE);
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no P-256 key generator", e);
        }
    }

    private static ContentSigner signer(KeyPair keys) {
        return signer(keys.getPrivate());
    }

    private static ContentSigner signer(Credentials c) {
        return signer(c.key());
    }

    private static ContentSigner signer(PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(SIGNATURE).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign with " + SIGNATURE, e);
        }
    }

    private static void requirePositive(Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive: " + validity);
        }
    }
}
