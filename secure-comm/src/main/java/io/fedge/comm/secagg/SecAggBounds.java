package io.fedge.comm.secagg;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.SecAggKeys;
import io.fedge.comm.proto.SecAggListSignature;
import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRevealedShare;
import io.fedge.comm.proto.SecAggSharePlain;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.nio.charset.StandardCharsets;

/**
 * The size of every field a client sends in a secure-aggregation message. The coordinator copies
 * a client's keys, signature and certificate into the roster of each of its neighbours, and its
 * sealed shares into what each neighbour is forwarded, so without bounds one client could push
 * every neighbour's frame past the frame limit. With them, the largest roster (64 neighbours with
 * 128-byte ids and every field at its bound) is 281,951 bytes on the wire, a quarter of
 * {@link io.fedge.comm.WireProtocol#DEFAULT_MAX_FRAME_BYTES}.
 *
 * <p>A field over its bound is refused with {@link ErrorCode#LIMIT_EXCEEDED}; a field of a fixed
 * size that is shorter, with {@link ErrorCode#MALFORMED}. Either way the message names the field,
 * its size and the bound, and nothing of the message is kept.
 */
public final class SecAggBounds {
    /** An X25519 public key in X.509 form: a 12-byte algorithm header and the 32-byte u-coordinate. */
    public static final int PUBLIC_KEY_BYTES = io.fedge.comm.crypto.UpdateSealer.PUBLIC_KEY_BYTES;
    /**
     * The longest key or list signature: an ECDSA P-256 signature in DER (a SEQUENCE of two
     * INTEGERs of up to 33 bytes each, with their 2-byte headers and the sequence's 2), which is
     * what a client signs with the key of its fedge certificate. Ed25519 signatures (64) fit too.
     */
    public static final int MAX_SIGNATURE_BYTES = 72;
    /** The longest certificate (DER): eight times the 500-odd bytes of a certificate the fedge CA issues. */
    public static final int MAX_CERTIFICATE_BYTES = 4096;
    /** The longest client id in UTF-8, as the coordinator's Hello allows. */
    public static final int MAX_CLIENT_ID_BYTES = 128;
    /** A self-seed commitment: SHA-256. */
    public static final int COMMITMENT_BYTES = 32;
    /** A share value: an element of GF(2^521 - 1), big-endian. */
    public static final int FIELD_BYTES = 66;

    private SecAggBounds() {
    }

    /** @throws FedgeException unless {@code id} is at most {@link #MAX_CLIENT_ID_BYTES} in UTF-8 */
    static void checkClientId(String id) {
        atMost("client id", id.getBytes(StandardCharsets.UTF_8).length, MAX_CLIENT_ID_BYTES);
    }

    /** @throws FedgeException unless both keys are {@link #PUBLIC_KEY_BYTES} and signature and certificate within bounds */
    static void checkKeys(SecAggKeys msg) {
        exactly("SecAggKeys.cipher_public_key", msg.getCipherPublicKey().size(), PUBLIC_KEY_BYTES);
        exactly("SecAggKeys.mask_public_key", msg.getMaskPublicKey().size(), PUBLIC_KEY_BYTES);
        atMost("SecAggKeys.signature", msg.getSignature().size(), MAX_SIGNATURE_BYTES);
        atMost("SecAggKeys.certificate", msg.getCertificate().size(), MAX_CERTIFICATE_BYTES);
    }

    /**
     * @throws FedgeException unless the message has at most one share per neighbour and a
     *     {@link #COMMITMENT_BYTES} commitment (each share's size is checked against
     *     {@link #sealedShareBytes} by the caller, who knows the recipient's point)
     */
    static void checkShares(SecAggShares msg, int neighbours) {
        atMost("SecAggShares.shares", msg.getSharesCount(), neighbours, "shares", "neighbours");
        exactly("SecAggShares.self_seed_commitment", msg.getSelfSeedCommitment().size(), COMMITMENT_BYTES);
    }

    /** @throws FedgeException unless {@code ciphertext} is exactly what a share from {@code owner} to {@code holder} at {@code x} seals to */
    static void checkSealedShare(ByteString ciphertext, String owner, String holder, int x) {
        exactly("SecAggSealedShare.ciphertext for " + holder, ciphertext.size(), sealedShareBytes(owner, holder, x));
    }

    /**
     * The bytes a share of {@code owner}'s secrets for {@code holder} at point {@code x} seals to:
     * its {@code SecAggSharePlain} with two {@link #FIELD_BYTES} values, plus the nonce and tag
     * of AES-GCM. Every honest share is exactly this long.
     */
    static int sealedShareBytes(String owner, String holder, int x) {
        ByteString field = ByteString.copyFrom(new byte[FIELD_BYTES]);
        int plain = SecAggSharePlain.newBuilder().setOwner(owner).setHolder(holder).setX(x)
                .setSelfSeedShare(field).setMaskKeyShare(field).build().getSerializedSize();
        return SecAggCrypto.sealedBytes(plain);
    }

    /** @throws FedgeException unless the message has at most one share per neighbour, each value {@link #FIELD_BYTES} */
    static void checkReveal(SecAggReveal msg, int neighbours) {
        atMost("SecAggReveal.shares", msg.getSharesCount(), neighbours, "shares", "neighbours");
        for (SecAggRevealedShare s : msg.getSharesList()) {
            exactly("SecAggRevealedShare.y of " + s.getOwner(), s.getY().size(), FIELD_BYTES);
        }
    }

    /** @throws FedgeException unless the signature is within bounds and id and certificate are left for the coordinator to fill in */
    static void checkListSignature(SecAggListSignature msg) {
        atMost("SecAggListSignature.signature", msg.getSignature().size(), MAX_SIGNATURE_BYTES);
        empty("SecAggListSignature.client_id", msg.getClientIdBytes().size());
        empty("SecAggListSignature.certificate", msg.getCertificate().size());
    }

    private static void atMost(String field, long size, long bound) {
        atMost(field, size, bound, "bytes", "bytes");
    }

    private static void atMost(String field, long size, long bound, String unit, String boundUnit) {
        if (size > bound) {
            throw new FedgeException(ErrorCode.LIMIT_EXCEEDED, field + " is " + size + " " + unit + ", over the bound of "
                    + bound + " " + boundUnit);
        }
    }

    private static void exactly(String field, int size, int expected) {
        atMost(field, size, expected);
        if (size != expected) {
            throw new FedgeException(ErrorCode.MALFORMED, field + " is " + size + " bytes, it must be exactly "
                    + expected);
        }
    }

    private static void empty(String field, int size) {
        if (size != 0) {
            throw new FedgeException(ErrorCode.MALFORMED, field + " is " + size
                    + " bytes; a client leaves it empty (bound 0), the coordinator fills it in");
        }
    }
}
