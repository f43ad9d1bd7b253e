package io.fedge.comm.crypto;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * End-to-end sealing of update chunks to the aggregator, so that a relay or gateway that
 * terminates TLS sees only ciphertext.
 *
 * <p>Each round the coordinator publishes an X25519 public key. For each upload the client makes an
 * ephemeral X25519 key pair, agrees a secret with the round key, and derives a 256-bit AES key with
 * HKDF-SHA256 (Bouncy Castle; the JDK 17 has none): salt {@code fedge-update-v1}, info = the
 * ephemeral key, the round key, the round, the transfer id and the client id. Every chunk is sealed
 * with AES-256-GCM under a nonce of the transfer id (8 bytes) and the chunk's sequence number
 * (4 bytes), never reused under one key, with the round, the sequence number and the client id as
 * associated data, so a chunk cannot be moved to another position, round or client. A chunk whose
 * tag fails is refused, and with it the whole update.
 *
 * <p>{@link Sealing} and {@link Opening} are not thread-safe; make one per transfer.
 */
public final class UpdateSealer {
    /** Bytes GCM adds to every chunk. */
    public static final int TAG_BYTES = 16;
    /** An X25519 public key in X.509 form: a 12-byte algorithm header and the 32-byte u-coordinate. */
    public static final int PUBLIC_KEY_BYTES = 44;

    private static final byte[] SALT = "fedge-update-v1".getBytes(StandardCharsets.US_ASCII);

    private UpdateSealer() {
    }

    /** A fresh X25519 key pair: the aggregator's for one round, or a client's for one upload. */
    public static KeyPair newKeyPair() {
        try {
            return KeyPairGenerator.getInstance("X25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no X25519 in this JDK", e);
        }
    }

    /**
     * Reads an X.509-encoded X25519 public key: exactly its {@value #PUBLIC_KEY_BYTES}-byte
     * encoding. (The JDK's parser ignores bytes after the key's DER structure, so a key with
     * anything appended would otherwise be taken for the same key.)
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} for anything else
     */
    public static PublicKey publicKey(byte[] encoded) {
        if (encoded.length != PUBLIC_KEY_BYTES) {
            throw new FedgeException(ErrorCode.MALFORMED, "not an X25519 public key: " + encoded.length
                    + " bytes, an X.509-encoded one is " + PUBLIC_KEY_BYTES);
        }
        PublicKey key;
        try {
            key = KeyFactory.getInstance("X25519").generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new FedgeException(ErrorCode.MALFORMED, "not an X25519 public key: " + e.getMessage());
        }
        if (!java.util.Arrays.equals(key.getEncoded(), encoded)) {
            throw new FedgeException(ErrorCode.MALFORMED, "not an X25519 public key in its X.509 encoding");
        }
        return key;
    }

    /** The client's side of one upload: seals chunks to the round's aggregator key. */
    public static Sealing seal(PublicKey aggregatorKey, long round, String clientId, long transferId) {
        KeyPair ephemeral = newKeyPair();
        byte[] key = deriveKey(ephemeral.getPrivate(), aggregatorKey, ephemeral.getPublic().getEncoded(),
                aggregatorKey.getEncoded(), round, clientId, transferId);
        return new Sealing(ephemeral.getPublic().getEncoded(), new SecretKeySpec(key, "AES"), round, clientId, transferId);
    }

    /**
     * The aggregator's side of one upload.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if the ephemeral key is not an X25519 key
     */
    public static Opening open(KeyPair aggregatorKeys, byte[] ephemeralPublicKey, long round, String clientId,
                               long transferId) {
        PublicKey ephemeral = publicKey(ephemeralPublicKey);
        byte[] key = deriveKey(aggregatorKeys.getPrivate(), ephemeral, ephemeralPublicKey,
                aggregatorKeys.getPublic().getEncoded(), round, clientId, transferId);
        return new Opening(new SecretKeySpec(key, "AES"), round, clientId, transferId);
    }

    private static byte[] deriveKey(PrivateKey mine, PublicKey theirs, byte[] ephemeralEncoded, byte[] aggregatorEncoded,
                                    long round, String clientId, long transferId) {
        byte[] shared = KeyDerivation.x25519(mine, theirs);
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        info.writeBytes(ephemeralEncoded);
        info.writeBytes(aggregatorEncoded);
        info.writeBytes(ByteBuffer.allocate(16).putLong(round).putLong(transferId).array());
        info.writeBytes(clientId.getBytes(StandardCharsets.UTF_8));
        return KeyDerivation.hkdf(shared, SALT, info.toByteArray(), 32);
    }

    private static GCMParameterSpec nonce(long transferId, int seq) {
        return new GCMParameterSpec(TAG_BYTES * 8, ByteBuffer.allocate(12).putLong(transferId).putInt(seq).array());
    }

    private static byte[] associatedData(long round, int seq, String clientId) {
        byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(12 + id.length).putLong(round).putInt(seq).put(id).array();
    }

    /** One transfer's AES-GCM key and the context every chunk is bound to. */
    private abstract static class ChunkCipher {
        final SecretKeySpec key;
        final long round;
        final String clientId;
        final long transferId;
        final Cipher cipher;

        ChunkCipher(SecretKeySpec key, long round, String clientId, long transferId) {
            this.key = key;
            this.round = round;
            this.clientId = clientId;
            this.transferId = transferId;
            try {
                this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("no AES-GCM in this JDK", e);
            }
        }

        final void init(int mode, int seq) throws GeneralSecurityException {
            cipher.init(mode, key, nonce(transferId, seq));
            cipher.updateAAD(associatedData(round, seq, clientId));
        }
    }

    /** Seals one upload's chunks. */
    public static final class Sealing extends ChunkCipher {
        private final byte[] ephemeralPublicKey;

        private Sealing(byte[] ephemeralPublicKey, SecretKeySpec key, long round, String clientId, long transferId) {
            super(key, round, clientId, transferId);
            this.ephemeralPublicKey = ephemeralPublicKey;
        }

        /** The ephemeral public key the aggregator needs, X.509-encoded. */
        public byte[] ephemeralPublicKey() {
            return ephemeralPublicKey.clone();
        }

        /** Chunk {@code seq} sealed: ciphertext followed by the 16-byte tag. */
        public byte[] seal(int seq, byte[] plaintext) {
            try {
                init(Cipher.ENCRYPT_MODE, seq);
                return cipher.doFinal(plaintext);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM sealing failed", e);
            }
        }
    }

    /** Opens one upload's chunks. */
    public static final class Opening extends ChunkCipher {
        private Opening(SecretKeySpec key, long round, String clientId, long transferId) {
            super(key, round, clientId, transferId);
        }

        /**
         * Chunk {@code seq} opened.
         *
         * @throws FedgeException with {@link ErrorCode#DECRYPTION_FAILED} if its tag does not verify
         */
        public ByteBuffer open(int seq, ByteBuffer sealed) {
            try {
                init(Cipher.DECRYPT_MODE, seq);
                ByteBuffer out = ByteBuffer.allocate(Math.max(0, sealed.remaining() - TAG_BYTES));
                cipher.doFinal(sealed, out);
                return out.flip();
            } catch (GeneralSecurityException e) {
                throw new FedgeException(ErrorCode.DECRYPTION_FAILED, "update chunk " + seq + " of transfer "
                        + transferId + " does not decrypt: " + e.getClass().getSimpleName());
            }
        }
    }
}
