package io.fedge.comm.tls;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The revocation list is read off the calling thread: the trust manager judges certificates
 * against a snapshot, a watcher swaps in a changed file, and a file that cannot be used keeps the
 * previous snapshot.
 */
class RevocationListTest {
    @TempDir
    Path certs;
    private CertificateDirectory dir;
    private CertificateAuthority ca;
    private RevocationList list;

    @BeforeEach
    void issue() throws Exception {
        dir = new CertificateDirectory(certs);
        ca = dir.createAuthority("test-ca", Duration.ofDays(30), Clock.systemUTC());
        for (String id : List.of("alice", "bob", "carol")) {
            dir.issueClient(ca, id, Duration.ofDays(30));
        }
    }

    @AfterEach
    void stop() {
        if (list != null) {
            list.close();
        }
    }

    private X509Certificate[] chain(String id) throws Exception {
        return new X509Certificate[] {PemFiles.readCertificate(dir.clientCertificate(id))};
    }

    private RevocationCheckingTrustManager trustManager(Duration poll) throws Exception {
        list = RevocationList.watch(ca.certificate(), dir.revocationList(), poll);
        return new RevocationCheckingTrustManager(ca.certificate(), list, Clock.systemUTC());
    }

    @Test
    void theTrustManagerNeverReadsTheFileOnTheCallingThread() throws Exception {
        dir.revokeClient(ca, "bob");
        RevocationCheckingTrustManager tm = trustManager(Duration.ofHours(1)); // the watcher will not run in this test
        long reads = list.fileReads();
        assertEquals(1, reads, "read once, when the list was made");
        Files.delete(dir.revocationList());
        for (int i = 0; i < 100; i++) {
            assertDoesNotThrow(() -> tm.checkClientTrusted(chain("alice"), "UNKNOWN"));
            CertificateException e = assertThrows(CertificateException.class,
                    () -> tm.checkClientTrusted(chain("bob"), "UNKNOWN"));
            assertTrue(e.getMessage().contains("is revoked"), e.getMessage());
        }
        assertEquals(reads, list.fileReads(), "200 handshakes read the file not once");
        assertEquals(200, list.certificatesChecked());
    }

    @Test
    void aRevocationOnDiskIsPickedUpWithinThePollInterval() throws Exception {
        RevocationCheckingTrustManager tm = trustManager(Duration.ofMillis(50));
        List<RevocationList.Snapshot> seen = new CopyOnWriteArrayList<>();
        list.onChange(seen::add);
        tm.checkClientTrusted(chain("carol"), "UNKNOWN");
        dir.revokeClient(ca, "carol");
        await().atMost(Duration.ofSeconds(5)).until(() -> list.snapshot().revokes(chain("carol")[0]));
        assertThrows(CertificateException.class, () -> tm.checkClientTrusted(chain("carol"), "UNKNOWN"));
        tm.checkClientTrusted(chain("alice"), "UNKNOWN");
        assertEquals(1, seen.size(), "listeners hear of the new list once");
        assertSame(list.snapshot(), seen.get(0));
        assertEquals(2, list.fileReads());
    }

    @Test
    void aListThatCannotBeParsedOrIsNotTheCasKeepsThePreviousSnapshot() throws Exception {
        dir.revokeClient(ca, "bob");
        RevocationCheckingTrustManager tm = trustManager(Duration.ofHours(1)); // refreshed by hand below
        RevocationList.Snapshot before = list.snapshot();

        Files.writeString(dir.revocationList(), "-----BEGIN X509 CRL-----\nnot a list\n-----END X509 CRL-----\n");
        assertFalse(list.refresh());
        assertSame(before, list.snapshot());
        assertFalse(list.refresh(), "the same broken file is not read again");
        assertEquals(2, list.fileReads());

        CertificateAuthority other = CertificateAuthority.create("other-ca", Duration.ofDays(30), Clock.systemUTC());
        PemFiles.writeCrl(dir.revocationList(), other.revocationList(Set.of(), null, Duration.ofDays(30)));
        assertFalse(list.refresh(), "a list signed by another authority is refused");
        assertSame(before, list.snapshot());
        assertThrows(CertificateException.class, () -> tm.checkClientTrusted(chain("bob"), "UNKNOWN"),
                "bob stays revoked");

        Files.delete(dir.revocationList());
        assertFalse(list.refresh(), "a missing file keeps the list too");
        assertSame(before, list.snapshot());

        dir.revokeClient(ca, "alice"); // a good list again, revoking alice alone (the old file is gone)
        assertTrue(list.refresh());
        assertThrows(CertificateException.class, () -> tm.checkClientTrusted(chain("alice"), "UNKNOWN"));
        tm.checkClientTrusted(chain("bob"), "UNKNOWN");
    }

    @Test
    void aMissingOrForeignListRefusesToStart() throws Exception {
        CertificateAuthority other = CertificateAuthority.create("other-ca", Duration.ofDays(30), Clock.systemUTC());
        assertThrows(java.io.IOException.class,
                () -> RevocationList.watch(other.certificate(), dir.revocationList(), Duration.ofSeconds(1)));
        Files.delete(dir.revocationList());
        assertThrows(java.io.IOException.class,
                () -> RevocationList.watch(ca.certificate(), dir.revocationList(), Duration.ofSeconds(1)));
    }
}
