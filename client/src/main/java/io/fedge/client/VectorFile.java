package io.fedge.client;

import io.fedge.core.model.ModelFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A float vector a client keeps on its device between rounds (an error-feedback residual, a
 * SCAFFOLD control variate): a magic naming what it is, the length, the little-endian values, and
 * the SHA-256 of everything before it. Written beside the file, forced to disk and renamed over it,
 * so a crash leaves one whole vector; read back only if the digest, the magic, the length and the
 * values (all finite) check out.
 */
final class VectorFile {
    private static final int DIGEST_BYTES = 32;

    private VectorFile() {
    }

    /**
     * The vector in {@code file}.
     *
     * @throws IOException naming what is wrong with the file: unreadable, changed or corrupted (the
     *     digest), of another kind (the magic), of an impossible length, or holding a non-finite value
     */
    static float[] read(Path file, int magic) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 8 + DIGEST_BYTES) {
            throw new IOException("too short (" + bytes.length + " bytes) for a vector file");
        }
        byte[] digest = Arrays.copyOfRange(bytes, bytes.length - DIGEST_BYTES, bytes.length);
        if (!MessageDigest.isEqual(digest, sha256(bytes, bytes.length - DIGEST_BYTES))) {
            throw new IOException("SHA-256 does not match: the file was changed or corrupted");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - DIGEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (in.getInt() != magic) {
            throw new IOException("not a file of this kind and format");
        }
        int n = in.getInt();
        if (n < 0 || in.remaining() != 4L * n) {
            throw new IOException("length " + n + " does not match the file");
        }
        float[] v = new float[n];
        in.asFloatBuffer().get(v);
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IOException("value " + i + " is " + v[i]);
            }
        }
        return v;
    }

    /** Writes {@code v} to {@code file} durably. */
    static void write(Path file, int magic, float[] v) throws IOException {
        int body = 8 + 4 * v.length;
        ByteBuffer out = ByteBuffer.allocate(body + DIGEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(magic).putInt(v.length);
        out.asFloatBuffer().put(v);
        out.position(body);
        out.put(sha256(out.array(), body));
        out.flip();
        ModelFile.writeDurably(file, out);
    }

    private static byte[] sha256(byte[] bytes, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(bytes, 0, length);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }
}
