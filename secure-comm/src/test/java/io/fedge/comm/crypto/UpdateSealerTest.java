package io.fedge.comm.crypto;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UpdateSealerTest {
    private final KeyPair aggregator = UpdateSealer.newKeyPair();
    private final byte[] chunk0 = "the first chunk of an update".getBytes();
    private final byte[] chunk1 = "the second chunk".getBytes();

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static ErrorCode refusal(Runnable r) {
        return assertThrows(FedgeException.class, r::run).code();
    }

    @Test
    void theAggregatorOpensWhatTheClientSealed() {
        UpdateSealer.Sealing sealing = UpdateSealer.seal(aggregator.getPublic(), 3, "device-1", 77);
        byte[] s0 = sealing.seal(0, chunk0);
        byte[] s1 = sealing.seal(1, chunk1);
        assertEquals(chunk0.length + UpdateSealer.TAG_BYTES, s0.length);
        assertFalse(Arrays.equals(Arrays.copyOf(s0, chunk0.length), chunk0), "ciphertext, not the plaintext");
        UpdateSealer.Opening opening = UpdateSealer.open(aggregator, sealing.ephemeralPublicKey(), 3, "device-1", 77);
        assertArrayEquals(chunk0, bytes(opening.open(0, ByteBuffer.wrap(s0))));
        assertArrayEquals(chunk1, bytes(opening.open(1, ByteBuffer.wrap(s1))));
    }

    @Test
    void aChangedByteAMovedChunkOrAnotherContextFailsTheTag() {
        UpdateSealer.Sealing sealing = UpdateSealer.seal(aggregator.getPublic(), 3, "device-1", 77);
        byte[] eph = sealing.ephemeralPublicKey();
        byte[] s0 = sealing.seal(0, chunk0);
        byte[] s1 = sealing.seal(1, chunk1);
        UpdateSealer.Opening opening = UpdateSealer.open(aggregator, eph, 3, "device-1", 77);

        byte[] flipped = s0.clone();
        flipped[5] ^= 1;
        assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() -> opening.open(0, ByteBuffer.wrap(flipped))));
        assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() -> opening.open(0, ByteBuffer.wrap(s1))), "swapped chunks");
        assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() -> opening.open(0, ByteBuffer.wrap(Arrays.copyOf(s0, 10)))));
        // The same bytes presented for another client, round or transfer do not open.
        assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() ->
                UpdateSealer.open(aggregator, eph, 3, "device-2", 77).open(0, ByteBuffer.wrap(s0))));
        assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() ->
                UpdateSealer.open(aggregator, eph, 4, "device-1", 77).open(0, ByteBuffer.wrap(s0))));
        assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() ->
                UpdateSealer.open(aggregator, eph, 3, "device-1", 78).open(0, ByteBuffer.wrap(s0))));
        // Nor for anyone without the round's private key.
        KeyPair other = UpdateSealer.newKeyPair();
        assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() ->
                UpdateSealer.open(other, eph, 3, "device-1", 77).open(0, ByteBuffer.wrap(s0))));
    }

    @Test
    void twoUploadsOfTheSameChunkLookUnrelated() {
        byte[] a = UpdateSealer.seal(aggregator.getPublic(), 3, "device-1", 77).seal(0, chunk0);
        byte[] b = UpdateSealer.seal(aggregator.getPublic(), 3, "device-1", 77).seal(0, chunk0);
        assertFalse(Arrays.equals(a, b), "a fresh ephemeral key per upload");
    }

    @Test
    void aGarbageEphemeralKeyIsMalformed() {
        assertEquals(ErrorCode.MALFORMED, refusal(() -> UpdateSealer.open(aggregator, new byte[] {1, 2, 3}, 3, "d", 1)));
    }

    /** The JDK parses a key with bytes appended as the key itself; only the exact encoding is taken. */
    @Test
    void anEphemeralKeyWithBytesAppendedOrCutIsMalformed() {
        byte[] key = UpdateSealer.seal(aggregator.getPublic(), 3, "d", 1).ephemeralPublicKey();
        assertEquals(UpdateSealer.PUBLIC_KEY_BYTES, key.length);
        for (int n : new int[] {43, 45, 46, 100, 4096}) {
            byte[] changed = Arrays.copyOf(key, n);
            assertEquals(ErrorCode.MALFORMED, refusal(() -> UpdateSealer.open(aggregator, changed, 3, "d", 1)), n + " bytes");
            assertEquals(ErrorCode.MALFORMED, refusal(() -> UpdateSealer.publicKey(changed)), n + " bytes");
        }
        assertArrayEquals(key, UpdateSealer.publicKey(key).getEncoded());
    }
}
