package io.fedge.comm.signing;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSignerTest {
    private static TransferHeader header(byte[] payload) throws Exception {
        return TransferHeader.newBuilder().setTransferId(42).setTotalLength(payload.length).setChunkCount(1)
                .setSha256(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(payload))).build();
    }

    @Test
    void aSignedHeaderVerifiesAndTheSignatureIsOverTagAndDigest() throws Exception {
        KeyPair keys = ModelSigner.newKeyPair();
        TransferHeader signed = ModelSigner.sign(header(new byte[] {1, 2, 3}), keys.getPrivate());
        ModelSigner.verify(signed, keys.getPublic());
        // Second path: the JDK's Ed25519 over the documented message.
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(keys.getPublic());
        s.update("fedge-model-v1\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.update(signed.getSha256().toByteArray());
        assertTrue(s.verify(signed.getSignature().toByteArray()));
    }

    @Test
    void aChangedModelAWrongKeyOrNoSignatureIsRefused() throws Exception {
        KeyPair keys = ModelSigner.newKeyPair();
        TransferHeader signed = ModelSigner.sign(header(new byte[] {1, 2, 3}), keys.getPrivate());
        TransferHeader otherModel = signed.toBuilder().setSha256(header(new byte[] {1, 2, 4}).getSha256()).build();
        assertEquals(ErrorCode.BAD_SIGNATURE,
                assertThrows(FedgeException.class, () -> ModelSigner.verify(otherModel, keys.getPublic())).code());
        KeyPair stranger = ModelSigner.newKeyPair();
        assertEquals(ErrorCode.BAD_SIGNATURE,
                assertThrows(FedgeException.class, () -> ModelSigner.verify(signed, stranger.getPublic())).code());
        TransferHeader unsigned = header(new byte[] {1, 2, 3});
        assertEquals(ErrorCode.BAD_SIGNATURE,
                assertThrows(FedgeException.class, () -> ModelSigner.verify(unsigned, keys.getPublic())).code());
    }

    @Test
    void keysSurviveTheirPemFiles(@TempDir Path tmp) throws Exception {
        CertificateDirectory dir = new CertificateDirectory(tmp);
        dir.createModelSigningKey();
        TransferHeader signed = ModelSigner.sign(header(new byte[] {9}), dir.loadModelSigningKey());
        ModelSigner.verify(signed, dir.loadModelVerifyingKey());
        assertThrows(java.io.IOException.class, dir::createModelSigningKey, "never overwrites a key");
    }
}
