package io.fedge.comm.signing;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Objects;

/**
 * Ed25519 signatures on global models: the coordinator signs each model it publishes, and
 * clients that pin its public key refuse a model whose signature is missing or wrong, before
 * they train on it. The signature covers the domain tag {@code fedge-model-v1}, a zero byte and
 * the SHA-256 of the model's binary form, which holds its version, configuration and parameters;
 * the download itself is checked against that SHA-256 chunk by chunk.
 *
 * <p>Stateless and thread-safe.
 */
public final class ModelSigner {
    private static final byte[] DOMAIN = "fedge-model-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final String ALGORITHM = "Ed25519";

    private ModelSigner() {
    }

    /** A fresh Ed25519 key pair. */
    public static KeyPair newKeyPair() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no Ed25519 in this JDK", e);
        }
    }

    /** {@code header} with its {@code signature} set by {@code key}. */
    public static TransferHeader sign(TransferHeader header, PrivateKey key) {
        Objects.requireNonNull(key, "key");
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(DOMAIN);
            s.update(header.getSha256().asReadOnlyByteBuffer());
            return header.toBuilder().setSignature(ByteString.copyFrom(s.sign())).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with a " + key.getAlgorithm() + " key", e);
        }
    }

    /**
     * Checks the signature of a model's transfer header.
     *
     * @throws FedgeException with {@link ErrorCode#BAD_SIGNATURE} if it is missing or does not verify
     */
    public static void verify(TransferHeader header, PublicKey coordinatorKey) {
        if (header.getSignature().isEmpty()) {
            throw new FedgeException(ErrorCode.BAD_SIGNATURE, "model transfer " + header.getTransferId()
                    + " is not signed, and this client trusts only models signed by its pinned coordinator key");
        }
        boolean ok;
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(coordinatorKey);
            s.update(DOMAIN);
            s.update(header.getSha256().asReadOnlyByteBuffer());
            ok = s.verify(header.getSignature().toByteArray());
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new FedgeException(ErrorCode.BAD_SIGNATURE, "model transfer " + header.getTransferId()
                    + ": signature does not verify with the pinned coordinator key");
        }
    }
}
