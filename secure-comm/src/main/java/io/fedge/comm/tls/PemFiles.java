package io.fedge.comm.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

/**
 * Reads and writes certificates, private keys and revocation lists as PEM files, with Bouncy
 * Castle's PEM codec. Writes go to a temporary file renamed over the target, so a reader (the
 * coordinator reloading its revocation list) never sees half a file.
 */
final class PemFiles {
    private PemFiles() {
    }

    static void writeCertificate(Path file, X509Certificate certificate) throws IOException {
        write(file, certificate, false);
    }

    /** Writes the key unencrypted in PKCS#8 ({@code BEGIN PRIVATE KEY}), which every TLS stack reads. */
    static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        write(file, new JcaPKCS8Generator(key, null).generate(), true);
    }

    static void writePublicKey(Path file, PublicKey key) throws IOException {
        write(file, key, false);
    }

    static PublicKey readPublicKey(Path file) throws IOException {
        Object o = readObject(file);
        if (!(o instanceof SubjectPublicKeyInfo info)) {
            throw new IOException(file + " holds no public key");
        }
        return new JcaPEMKeyConverter().getPublicKey(info);
    }

    static void writeCrl(Path file, X509CRL crl) throws IOException {
        write(file, crl, false);
    }

    static X509Certificate readCertificate(Path file) throws IOException {
        Object o = readObject(file);
        if (!(o instanceof X509CertificateHolder holder)) {
            throw new IOException(file + " holds no certificate");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    static PrivateKey readPrivateKey(Path file) throws IOException {
        Object o = readObject(file);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (o instanceof PrivateKeyInfo info) {
            return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
            return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        throw new IOException(file + " holds no unencrypted private key");
    }

    static X509CRL readCrl(Path file) throws IOException {
        Object o = readObject(file);
        if (!(o instanceof X509CRLHolder holder)) {
            throw new IOException(file + " holds no certificate revocation list");
        }
        try {
            return new JcaX509CRLConverter().getCRL(holder);
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static Object readObject(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(r)) {
            Object o = parser.readObject();
            if (o == null) {
                throw new IOException(file + " holds no PEM object");
            }
            return o;
        }
    }

    private static void write(Path file, Object object, boolean secret) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            pem.writeObject(object);
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system; the platform's default permissions apply.
            }
            Files.writeString(tmp, text.toString(), StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
