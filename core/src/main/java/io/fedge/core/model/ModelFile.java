package io.fedge.core.model;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A global model on disk (checkpoints, the state store's model versions, {@code fedge export}'s
 * input): the model's binary form ({@link GlobalModel#encode()}) behind a header holding its
 * SHA-256 and, when the writer has the coordinator's Ed25519 model-signing key, a signature over
 * that digest. Reading verifies the digest always, and the signature when the reader has the
 * public key, before a byte of the model is used: a checkpoint with one changed parameter,
 * configuration byte or version is refused.
 *
 * <p>Files are written next to their destination, forced to disk, renamed over it atomically, and
 * the folder forced too, so a crash leaves either the old file or the new one, never half of one,
 * and a file that {@link #write} returned for survives a power cut.
 *
 * <p>Layout: {@code "FGMF"}, format (int, 1), SHA-256 of the payload (32 bytes), signature length
 * (int, 0 or 64), signature, payload length (long), payload. Big-endian header. Stateless.
 */
public final class ModelFile {
    private static final int MAGIC = 0x4647_4D46; // "FGMF"
    private static final int FORMAT = 1;
    private static final int DIGEST_BYTES = 32;
    private static final int SIGNATURE_BYTES = 64;
    private static final byte[] DOMAIN = "fedge-model-file-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = 4 + 4 + DIGEST_BYTES + 4;

    private ModelFile() {
    }

    /** Writes {@code model} to {@code file} durably and atomically; signed when {@code key} is not null. */
    public static void write(Path file, GlobalModel model, PrivateKey key) throws IOException {
        byte[] payload = model.encode();
        byte[] digest = sha256(payload);
        byte[] signature = key == null ? new byte[0] : sign(digest, key);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES + signature.length + 8);
        header.putInt(MAGIC).putInt(FORMAT).put(digest).putInt(signature.length).put(signature)
                .putLong(payload.length).flip();
        writeDurably(file, header, ByteBuffer.wrap(payload));
    }

    /**
     * Reads and verifies a model file.
     *
     * @param key the coordinator's model-verifying key, or null to check the digest only (a
     *     signed file is then accepted without checking its signature)
     * @throws FedgeException naming the file and what is wrong: not a fedge model file, truncated,
     *     digest mismatch, unsigned or badly signed when a key is given, or an invalid model
     * @throws NoSuchFileException if the file does not exist
     */
    public static GlobalModel read(Path file, PublicKey key) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return GlobalModel.decode(verifiedPayload(file, bytes, key));
    }

    /** The SHA-256 of the model payload stored in {@code file}, as hex, after verifying the file. */
    public static String digestHex(Path file) throws IOException {
        byte[] payload = verifiedPayload(file, Files.readAllBytes(file), null);
        return HexFormat.of().formatHex(sha256(payload));
    }

    private static byte[] verifiedPayload(Path file, byte[] bytes, PublicKey key) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length < HEADER_BYTES + 8 || in.getInt() != MAGIC) {
            throw refused(file, "not a fedge model file (no FGMF header; files from before checksummed "
                    + "checkpoints cannot be verified and are not loaded)");
        }
        int format = in.getInt();
        if (format != FORMAT) {
            throw refused(file, "model file format " + format + ", this fedge reads format " + FORMAT);
        }
        byte[] digest = new byte[DIGEST_BYTES];
        in.get(digest);
        int signatureLength = in.getInt();
        if (signatureLength != 0 && signatureLength != SIGNATURE_BYTES) {
            throw refused(file, "signature of " + signatureLength + " bytes, expected 0 or " + SIGNATURE_BYTES);
        }
        if (in.remaining() < signatureLength + 8) {
            throw refused(file, "truncated header");
        }
        byte[] signature = new byte[signatureLength];
        in.get(signature);
        long length = in.getLong();
        if (length != in.remaining()) {
            throw refused(file, "payload of " + in.remaining() + " bytes, the header says " + length
                    + " (truncated or extended)");
        }
        byte[] payload = Arrays.copyOfRange(bytes, in.position(), bytes.length);
        if (!MessageDigest.isEqual(digest, sha256(payload))) {
            throw refused(file, "SHA-256 of the model does not match its header: the file was changed or corrupted");
        }
        if (key != null) {
            if (signatureLength == 0) {
                throw refused(file, "not signed, and a model-verifying key was given");
            }
            if (!verify(digest, signature, key)) {
                throw refused(file, "signature does not verify with the given model-verifying key");
            }
        }
        return payload;
    }

    private static FedgeException refused(Path file, String why) {
        return new FedgeException(ErrorCode.DIGEST_MISMATCH, "model file " + file + ": " + why);
    }

    /** Writes the buffers to a temporary file beside {@code file}, forces it, renames it over, forces the folder. */
    public static void writeDurably(Path file, ByteBuffer... parts) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (ByteBuffer b : parts) {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + file + " atomically on this file system", e);
        }
        forceDirectory(dir);
    }

    /** Forces a folder's entries to disk (a rename is durable only once its folder is). */
    public static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot open folders for reading; the rename is still atomic there
            if (!(e instanceof java.nio.file.AccessDeniedException)) {
                throw e;
            }
        }
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }

    private static byte[] sign(byte[] digest, PrivateKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(DOMAIN);
            s.update(digest);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign a model file with a " + key.getAlgorithm() + " key", e);
        }
    }

    private static boolean verify(byte[] digest, byte[] signature, PublicKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(DOMAIN);
            s.update(digest);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
