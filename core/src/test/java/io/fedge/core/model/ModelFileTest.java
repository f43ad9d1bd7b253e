package io.fedge.core.model;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFileTest {
    private static final GlobalModel MODEL = new GlobalModel(6, "{\"layers\":[]}", new float[] {1.5f, -2f, 0.25f, 3f});

    private static KeyPair keys() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    @Test
    void aWrittenModelReadsBackIdentically(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.fgm");
        ModelFile.write(f, MODEL, null);
        GlobalModel back = ModelFile.read(f, null);
        assertEquals(6, back.version());
        assertEquals(MODEL.configJson(), back.configJson());
        assertArrayEquals(MODEL.parameters(), back.parameters());
        assertFalse(Files.exists(dir.resolve("m.fgm.tmp")), "the temporary file is renamed over");
        // the header's digest is the SHA-256 of the model's binary form, computed a second way
        assertEquals(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(MODEL.encode())), ModelFile.digestHex(f));
    }

    @Test
    void everyChangedByteIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.fgm");
        ModelFile.write(f, MODEL, null);
        byte[] good = Files.readAllBytes(f);
        int headerEnd = 4 + 4 + 32 + 4 + 8;
        for (int i = headerEnd; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            Files.write(f, bad);
            FedgeException e = assertThrows(FedgeException.class, () -> ModelFile.read(f, null), "byte " + i);
            assertEquals(ErrorCode.DIGEST_MISMATCH, e.code());
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void truncatedExtendedAndForeignFilesAreRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.fgm");
        ModelFile.write(f, MODEL, null);
        byte[] good = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(good, good.length - 1));
        assertTrue(assertThrows(FedgeException.class, () -> ModelFile.read(f, null)).getMessage().contains("truncated"));
        Files.write(f, Arrays.copyOf(good, good.length + 1));
        assertThrows(FedgeException.class, () -> ModelFile.read(f, null));
        Files.write(f, MODEL.encode()); // a bare model, as checkpoints were before: no digest to check
        assertTrue(assertThrows(FedgeException.class, () -> ModelFile.read(f, null)).getMessage()
                .contains("not a fedge model file"));
        Files.write(f, new byte[3]);
        assertThrows(FedgeException.class, () -> ModelFile.read(f, null));
    }

    @Test
    void signedFilesVerifyOnlyWithTheirKey(@TempDir Path dir) throws Exception {
        KeyPair coordinator = keys();
        Path signed = dir.resolve("s.fgm");
        ModelFile.write(signed, MODEL, coordinator.getPrivate());
        assertArrayEquals(MODEL.parameters(), ModelFile.read(signed, coordinator.getPublic()).parameters());
        assertTrue(assertThrows(FedgeException.class, () -> ModelFile.read(signed, keys().getPublic()))
                .getMessage().contains("signature does not verify"));

        Path unsigned = dir.resolve("u.fgm");
        ModelFile.write(unsigned, MODEL, null);
        assertTrue(assertThrows(FedgeException.class, () -> ModelFile.read(unsigned, coordinator.getPublic()))
                .getMessage().contains("not signed"));

        // a new model with a recomputed digest but the old signature: the signature covers the digest
        byte[] bytes = Files.readAllBytes(signed);
        GlobalModel other = MODEL.withParameters(7, new float[] {9, 9, 9, 9});
        byte[] payload = other.encode();
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 32 + 4 + 64 + 8 + payload.length);
        b.put(bytes, 0, 8).put(java.security.MessageDigest.getInstance("SHA-256").digest(payload))
                .put(bytes, 40, 4 + 64).putLong(payload.length).put(payload);
        Files.write(signed, b.array());
        assertTrue(assertThrows(FedgeException.class, () -> ModelFile.read(signed, coordinator.getPublic()))
                .getMessage().contains("signature does not verify"));
    }
}
