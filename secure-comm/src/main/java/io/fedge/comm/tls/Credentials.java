package io.fedge.comm.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A certificate and its private key: what an endpoint presents in a TLS handshake.
 *
 * @param key the private key matching {@code certificate}'s public key
 * @param certificate the certificate, issued by a fedge {@link CertificateAuthority}
 */
public record Credentials(PrivateKey key, X509Certificate certificate) {
    public Credentials {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(certificate, "certificate");
    }

    /** Writes the certificate and the key as PEM files; the key file is readable by its owner only. */
    public void save(Path certificateFile, Path keyFile) throws IOException {
        PemFiles.writeCertificate(certificateFile, certificate);
        PemFiles.writePrivateKey(keyFile, key);
    }

    /** Reads a certificate and a key written by {@link #save}. */
    public static Credentials load(Path certificateFile, Path keyFile) throws IOException {
        return new Credentials(PemFiles.readPrivateKey(keyFile), PemFiles.readCertificate(certificateFile));
    }
}
