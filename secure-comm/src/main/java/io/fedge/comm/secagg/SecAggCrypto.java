package io.fedge.comm.secagg;

import io.fedge.comm.crypto.KeyDerivation;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key handling secure aggregation needs beyond {@link KeyDerivation}: X25519 private keys as
 * the 32-byte scalars that are Shamir-shared, a check that a rebuilt scalar belongs to an
 * advertised public key, and the AES-256-GCM channel that carries shares between two clients
 * through the coordinator. Stateless and thread-safe.
 */
final class SecAggCrypto {
    private static final byte[] SHARE_SALT = "fedge-secagg-share-v1".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE_BYTES = 12;

    private SecAggCrypto() {
    }

    /** The 32-byte scalar of an X25519 private key made by the JDK. */
    static byte[] scalar(PrivateKey key) {
        return ((XECPrivateKey) key).getScalar()
                .orElseThrow(() -> new IllegalStateException("X25519 key without an exportable scalar"));
    }

    /** The X25519 private key with this scalar. */
    static PrivateKey privateKey(byte[] scalar) {
        try {
            return KeyFactory.getInstance("X25519").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no X25519 in this JDK", e);
        }
    }

    /** Whether {@code scalar} is the private key of {@code expected}: X25519(scalar, 9) must be its u-coordinate. */
    static boolean matches(byte[] scalar, PublicKey expected) {
        try {
            PublicKey basePoint = KeyFactory.getInstance("X25519")
                    .generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger.valueOf(9)));
            byte[] u = KeyDerivation.x25519(privateKey(scalar), basePoint); // little-endian
            byte[] be = new byte[u.length];
            for (int i = 0; i < u.length; i++) {
                be[i] = u[u.length - 1 - i];
            }
            return new BigInteger(1, be).equals(((XECPublicKey) expected).getU());
        } catch (GeneralSecurityException | FedgeException e) {
            return false;
        }
    }

    /** @throws FedgeException with {@link ErrorCode#MALFORMED} unless {@code encoded} is an X25519 public key */
    static PublicKey publicKeyOrThrow(com.google.protobuf.ByteString encoded) {
        return UpdateSealer.publicKey(encoded.toByteArray());
    }

    /** The AES key two clients share for the round's share messages. */
    private static SecretKeySpec channelKey(PrivateKey mine, PublicKey theirs, String a, String b, long round) {
        String first = a.compareTo(b) < 0 ? a : b;
        String second = first.equals(a) ? b : a;
        byte[] info = (round + "\0" + first + "\0" + second).getBytes(StandardCharsets.UTF_8);
        return new SecretKeySpec(KeyDerivation.hkdf(KeyDerivation.x25519(mine, theirs), SHARE_SALT, info, 32), "AES");
    }

    private static byte[] aad(long round, String owner, String holder) {
        return (round + "\0" + owner + "\0" + holder).getBytes(StandardCharsets.UTF_8);
    }

    /** Encrypts {@code owner}'s shares for {@code holder}: a random nonce, then ciphertext and tag. */
    static byte[] sealShare(PrivateKey ownerCipherKey, PublicKey holderCipherKey, long round, String owner,
                            String holder, byte[] plain, SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, channelKey(ownerCipherKey, holderCipherKey, owner, holder, round),
                    new GCMParameterSpec(128, nonce));
            gcm.updateAAD(aad(round, owner, holder));
            byte[] sealed = gcm.doFinal(plain);
            byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    /** The length of a sealed share of {@code plainBytes}: nonce, ciphertext, GCM tag. */
    static int sealedBytes(int plainBytes) {
        return NONCE_BYTES + plainBytes + 16;
    }

    /**
     * Decrypts the shares {@code owner} sent {@code holder}.
     *
     * @throws FedgeException with {@link ErrorCode#DECRYPTION_FAILED} if the tag fails
     */
    static byte[] openShare(PrivateKey holderCipherKey, PublicKey ownerCipherKey, long round, String owner,
                            String holder, byte[] sealed) {
        if (sealed.length < NONCE_BYTES + 16) {
            throw new FedgeException(ErrorCode.MALFORMED, "sealed share from " + owner + " is too short");
        }
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, channelKey(holderCipherKey, ownerCipherKey, holder, owner, round),
                    new GCMParameterSpec(128, sealed, 0, NONCE_BYTES));
            gcm.updateAAD(aad(round, owner, holder));
            return gcm.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new FedgeException(ErrorCode.DECRYPTION_FAILED, "share from " + owner + " does not decrypt");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    /** A field element as the fixed 66 bytes of the wire. */
    static byte[] fieldBytes(BigInteger y) {
        byte[] raw = y.toByteArray();
        byte[] out = new byte[66];
        int copy = Math.min(raw.length, 66);
        System.arraycopy(raw, raw.length - copy, out, 66 - copy, copy);
        return out;
    }

    /** @throws FedgeException with {@link ErrorCode#MALFORMED} unless {@code bytes} is a field element */
    static BigInteger fieldElement(byte[] bytes) {
        if (bytes.length != 66) {
            throw new FedgeException(ErrorCode.MALFORMED, "a share value is 66 bytes, not " + bytes.length);
        }
        BigInteger y = new BigInteger(1, bytes);
        if (y.compareTo(ShamirSharing.PRIME) >= 0) {
            throw new FedgeException(ErrorCode.MALFORMED, "share value outside the field");
        }
        return y;
    }
}
