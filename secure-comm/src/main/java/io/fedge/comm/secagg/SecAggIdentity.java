package io.fedge.comm.secagg;

import com.google.protobuf.ByteString;
import io.fedge.comm.tls.Credentials;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A client's certificate identity in secure aggregation: it signs its round keys with its
 * certificate's key, and checks that every neighbour's keys are signed by a certificate of the
 * fedge CA that names that neighbour. A coordinator can then relay keys but not substitute its
 * own, which is what would let it read shares meant for clients.
 *
 * @param credentials the client's certificate and private key
 * @param ca the authority every neighbour's certificate must come from
 */
public record SecAggIdentity(Credentials credentials, X509Certificate ca) {
    private static final byte[] DOMAIN = "fedge-secagg-keys-v1\0".getBytes(StandardCharsets.US_ASCII);

    public SecAggIdentity {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(ca, "ca");
    }

    private static byte[] message(long round, String id, ByteString cipherKey, ByteString maskKey) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(DOMAIN);
        out.writeBytes((round + "\0" + id + "\0").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(cipherKey.toByteArray());
        out.writeBytes(maskKey.toByteArray());
        return out.toByteArray();
    }

    private static String algorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalArgumentException("cannot sign with a " + keyAlgorithm + " key");
        };
    }

    /** The signature over this client's round keys. */
    ByteString sign(long round, String id, ByteString cipherKey, ByteString maskKey) {
        PrivateKey key = credentials.key();
        try {
            Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
            s.initSign(key);
            s.update(message(round, id, cipherKey, maskKey));
            return ByteString.copyFrom(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign secure-aggregation keys", e);
        }
    }

    private static final byte[] LIST_DOMAIN = "fedge-secagg-survivors-v1\0".getBytes(StandardCharsets.US_ASCII);

    private static byte[] listMessage(long round, java.util.Collection<String> survivors, java.util.Collection<String> dropped) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(LIST_DOMAIN);
        out.writeBytes((round + "\0" + String.join("\n", new java.util.TreeSet<>(survivors)) + "\0"
                + String.join("\n", new java.util.TreeSet<>(dropped))).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** This client's signature over a round's survivor and dropped lists. */
    ByteString signLists(long round, java.util.Collection<String> survivors, java.util.Collection<String> dropped) {
        PrivateKey key = credentials.key();
        try {
            Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
            s.initSign(key);
            s.update(listMessage(round, survivors, dropped));
            return ByteString.copyFrom(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the survivor list", e);
        }
    }

    /** Whether {@code signer}'s certificate is the CA's, names it, and signed these lists. */
    boolean listSignedBy(long round, java.util.Collection<String> survivors, java.util.Collection<String> dropped,
                         String signer, ByteString signature, ByteString certificate) {
        return signedBy(signer, certificate, listMessage(round, survivors, dropped), signature);
    }

    ByteString certificate() {
        try {
            return ByteString.copyFrom(credentials.certificate().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode the client certificate", e);
        }
    }

    /**
     * Checks that {@code peerId}'s keys are signed by a valid certificate of the CA naming it.
     *
     * @throws FedgeException with {@link ErrorCode#SECURE_AGGREGATION_ABORTED} otherwise
     */
    void verify(long round, String peerId, ByteString cipherKey, ByteString maskKey, ByteString signature,
                ByteString certificate) {
        if (signature.isEmpty() || certificate.isEmpty()) {
            throw aborted(peerId + "'s keys come without a signature");
        }
        if (!signedBy(peerId, certificate, message(round, peerId, cipherKey, maskKey), signature)) {
            throw aborted(peerId + "'s keys are not signed by a certificate of the CA naming it");
        }
    }

    /** Whether {@code certificate} is a valid certificate of the CA naming {@code signer} and its key signed {@code message}. */
    private boolean signedBy(String signer, ByteString certificate, byte[] message, ByteString signature) {
        try {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(certificate.toByteArray()));
            cert.verify(ca.getPublicKey());
            cert.checkValidity();
            if (!TlsContexts.commonName(cert).map(signer::equals).orElse(false)) {
                return false;
            }
            PublicKey key = cert.getPublicKey();
            Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
            s.initVerify(key);
            s.update(message);
            return s.verify(signature.toByteArray());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static FedgeException aborted(String message) {
        return new FedgeException(ErrorCode.SECURE_AGGREGATION_ABORTED, message);
    }
}
