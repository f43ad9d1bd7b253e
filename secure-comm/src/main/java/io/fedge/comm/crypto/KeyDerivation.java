package io.fedge.comm.crypto;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import javax.crypto.KeyAgreement;

/**
 * The two steps every fedge key derivation takes: an X25519 agreement (the JDK's) and
 * HKDF-SHA256 (Bouncy Castle's; the JDK 17 has none). Stateless and thread-safe.
 */
public final class KeyDerivation {
    private KeyDerivation() {
    }

    /**
     * The X25519 shared secret of {@code mine} and {@code theirs}.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if the keys do not agree (wrong type)
     */
    public static byte[] x25519(PrivateKey mine, PublicKey theirs) {
        try {
            KeyAgreement agreement = KeyAgreement.getInstance("X25519");
            agreement.init(mine);
            agreement.doPhase(theirs, true);
            return agreement.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new FedgeException(ErrorCode.MALFORMED, "X25519 agreement failed: " + e.getMessage());
        }
    }

    /** {@code length} bytes of HKDF-SHA256 output. */
    public static byte[] hkdf(byte[] secret, byte[] salt, byte[] info, int length) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(secret, salt, info));
        byte[] out = new byte[length];
        hkdf.generateBytes(out, 0, length);
        return out;
    }
}
