package io.fedge.comm.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CertificateAuthorityTest {
    private static final Instant NOW = Instant.parse("2026-11-25T00:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    private static String commonName(X509Certificate c) {
        return IETFUtils.valueToString(X500Name.getInstance(c.getSubjectX500Principal().getEncoded())
                .getRDNs(BCStyle.CN)[0].getFirst().getValue());
    }

    @Test
    void onlyAdministratorsCertificatesCarryTheAdminKeyPurpose() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(365), Clock.systemUTC());
        Credentials admin = ca.issueAdmin("ops", Duration.ofDays(30));
        Credentials client = ca.issueClient("ops", Duration.ofDays(30));
        Credentials server = ca.issueServer(List.of("localhost"), Duration.ofDays(30));
        assertTrue(KeyPurposes.carries(admin.certificate(), KeyPurposes.ADMIN));
        assertTrue(admin.certificate().getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "it is a TLS client too");
        assertFalse(KeyPurposes.carries(client.certificate(), KeyPurposes.ADMIN), "a device's certificate of the same name is not");
        assertFalse(KeyPurposes.carries(server.certificate(), KeyPurposes.ADMIN));
        admin.certificate().verify(ca.certificate().getPublicKey());
        assertThrows(IllegalArgumentException.class, () -> ca.issueAdmin("../ops", Duration.ofDays(1)));
    }

    @Test
    void gatewayCertificatesAreClientsAndServersWithTheGatewayKeyPurpose() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(365), Clock.systemUTC());
        Credentials gateway = ca.issueGateway("shop-12", List.of("shop-12.example", "10.0.0.7"), Duration.ofDays(30));
        X509Certificate cert = gateway.certificate();
        assertEquals("shop-12", commonName(cert), "its client id upstream");
        assertTrue(KeyPurposes.carries(cert, KeyPurposes.GATEWAY));
        assertFalse(KeyPurposes.carries(cert, KeyPurposes.ADMIN));
        assertTrue(cert.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")),
                "serverAuth for its devices, clientAuth upstream");
        assertEquals(2, cert.getSubjectAlternativeNames().size(), "the names its devices dial");
        cert.verify(ca.certificate().getPublicKey());
        assertFalse(KeyPurposes.carries(ca.issueClient("shop-12", Duration.ofDays(30)).certificate(), KeyPurposes.GATEWAY),
                "a device's certificate of the same name is not a gateway's");
        assertFalse(KeyPurposes.carries(ca.issueAdmin("shop-12", Duration.ofDays(30)).certificate(), KeyPurposes.GATEWAY));
        assertThrows(IllegalArgumentException.class, () -> ca.issueGateway("../x", List.of("h"), Duration.ofDays(1)));
        assertThrows(IllegalArgumentException.class, () -> ca.issueGateway("x", List.of(), Duration.ofDays(1)));
    }

    @Test
    void clientCertificatesCarryTheIdAndAreSignedByTheAuthority() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(365), clock);
        Credentials device = ca.issueClient("device-17", Duration.ofDays(30));
        X509Certificate cert = device.certificate();
        assertEquals("device-17", commonName(cert));
        assertEquals(ca.certificate().getSubjectX500Principal(), cert.getIssuerX500Principal());
        cert.verify(ca.certificate().getPublicKey());
        assertEquals(-1, cert.getBasicConstraints(), "a leaf, not a CA");
        assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
        assertEquals(NOW.plus(Duration.ofDays(30)), cert.getNotAfter().toInstant());
        assertTrue(cert.getNotBefore().toInstant().isBefore(NOW), "valid from a little before now, for clock skew");
        // The key in the credentials is the certificate's: a signature made with it verifies.
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(device.key());
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertTrue(s.verify(sig));
    }

    @Test
    void aCertificateFromAnotherAuthorityDoesNotVerify() {
        CertificateAuthority ours = CertificateAuthority.create("ours", Duration.ofDays(365), clock);
        CertificateAuthority theirs = CertificateAuthority.create("theirs", Duration.ofDays(365), clock);
        X509Certificate foreign = theirs.issueClient("device-1", Duration.ofDays(30)).certificate();
        assertThrows(GeneralSecurityException.class, () -> foreign.verify(ours.certificate().getPublicKey()));
    }

    @Test
    void serverCertificatesNameHostsAndAddresses() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(365), clock);
        X509Certificate cert = ca.issueServer(List.of("coordinator.example", "127.0.0.1"), Duration.ofDays(90))
                .certificate();
        assertEquals("coordinator.example", commonName(cert));
        // GeneralName types: 2 = dNSName, 7 = iPAddress.
        assertEquals(Set.of(List.of(2, "coordinator.example"), List.of(7, "127.0.0.1")),
                Set.copyOf(cert.getSubjectAlternativeNames().stream().map(l -> List.copyOf(l)).toList()));
        assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "serverAuth");
    }

    @Test
    void leafValidityNeverOutlivesTheAuthority() {
        CertificateAuthority ca = CertificateAuthority.create("short-ca", Duration.ofDays(10), clock);
        X509Certificate cert = ca.issueClient("device-1", Duration.ofDays(365)).certificate();
        assertEquals(ca.certificate().getNotAfter(), cert.getNotAfter());
    }

    @Test
    void clientIdsThatCannotBeFileNamesAreRefused() {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(365), clock);
        for (String bad : List.of("", "../etc", "a/b", "with space", "x".repeat(65))) {
            assertThrows(IllegalArgumentException.class, () -> ca.issueClient(bad, Duration.ofDays(1)), bad);
        }
    }

    @Test
    void theDirectoryRoundTripsAndRevocationAccumulates(@TempDir Path tmp) throws Exception {
        CertificateDirectory dir = new CertificateDirectory(tmp);
        CertificateAuthority created = dir.createAuthority("dir-ca", Duration.ofDays(365), clock);
        CertificateAuthority loaded = dir.authority(clock);
        assertArrayEquals(created.certificate().getEncoded(), loaded.certificate().getEncoded());
        assertThrows(java.io.IOException.class, () -> dir.createAuthority("again", Duration.ofDays(1), clock));

        Credentials a = dir.issueClient(loaded, "device-a", Duration.ofDays(30));
        Credentials b = dir.issueClient(loaded, "device-b", Duration.ofDays(30));
        Credentials reread = Credentials.load(dir.clientCertificate("device-a"), dir.clientKey("device-a"));
        assertArrayEquals(a.certificate().getEncoded(), reread.certificate().getEncoded());
        assertArrayEquals(a.key().getEncoded(), reread.key().getEncoded());

        X509CRL empty = PemFiles.readCrl(dir.revocationList());
        empty.verify(created.certificate().getPublicKey());
        assertFalse(empty.isRevoked(a.certificate()));

        BigInteger serialA = dir.revokeClient(loaded, "device-a");
        assertEquals(a.certificate().getSerialNumber(), serialA);
        dir.revokeClient(loaded, "device-b");
        X509CRL both = PemFiles.readCrl(dir.revocationList());
        both.verify(created.certificate().getPublicKey());
        assertTrue(both.isRevoked(a.certificate()), "the first revocation is kept");
        assertTrue(both.isRevoked(b.certificate()));
        assertEquals(2, both.getRevokedCertificates().size());
    }
}
