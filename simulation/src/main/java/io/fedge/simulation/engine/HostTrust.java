package io.fedge.simulation.engine;

import io.fedge.comm.tls.Credentials;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Objects;

/**
 * What a host needs to run its clients over mutual TLS as a deployment does: the federation's CA
 * certificate, the key models are signed with, and each client's certificate and private key
 * ({@link ClientKeys}), all in their standard encodings (DER, X.509 SubjectPublicKeyInfo, PKCS#8) so
 * that they travel serialized. A simulation's throwaway keys: they cross the engine's own channel
 * (on a cluster, encrypt it: {@code spark.network.crypto.enabled}).
 *
 * @param caCertificate the CA certificate, DER
 * @param modelVerifyingKey the model-signing public key, X.509 SubjectPublicKeyInfo
 * @param modelKeyAlgorithm its algorithm ({@code Ed25519})
 */
public record HostTrust(byte[] caCertificate, byte[] modelVerifyingKey, String modelKeyAlgorithm)
        implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    public HostTrust {
        Objects.requireNonNull(caCertificate, "caCertificate");
        Objects.requireNonNull(modelVerifyingKey, "modelVerifyingKey");
        Objects.requireNonNull(modelKeyAlgorithm, "modelKeyAlgorithm");
    }

    /** The trust of {@code ca} and {@code modelKey}. */
    public static HostTrust of(X509Certificate ca, PublicKey modelKey) throws IOException {
        try {
            return new HostTrust(ca.getEncoded(), modelKey.getEncoded(), modelKey.getAlgorithm());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IOException("cannot encode the CA certificate", e);
        }
    }

    /** The CA certificate. */
    public X509Certificate ca() throws IOException {
        return certificate(caCertificate);
    }

    /** The key models are signed with. */
    public PublicKey modelKey() throws IOException {
        try {
            return KeyFactory.getInstance(modelKeyAlgorithm).generatePublic(new X509EncodedKeySpec(modelVerifyingKey));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the model-signing key (" + modelKeyAlgorithm + ")", e);
        }
    }

    static X509Certificate certificate(byte[] der) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read a certificate", e);
        }
    }

    /**
     * One client's certificate and private key.
     *
     * @param certificate DER
     * @param key PKCS#8
     * @param algorithm the key's algorithm ({@code EC})
     */
    public record ClientKeys(byte[] certificate, byte[] key, String algorithm) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        public ClientKeys {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(algorithm, "algorithm");
        }

        /** The keys of {@code credentials}. */
        public static ClientKeys of(Credentials credentials) throws IOException {
            try {
                return new ClientKeys(credentials.certificate().getEncoded(), credentials.key().getEncoded(),
                        credentials.key().getAlgorithm());
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IOException("cannot encode a client certificate", e);
            }
        }

        /** Back as credentials. */
        public Credentials credentials() throws IOException {
            try {
                PrivateKey k = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(key));
                return new Credentials(k, HostTrust.certificate(certificate));
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot read a client key (" + algorithm + ")", e);
            }
        }
    }
}
