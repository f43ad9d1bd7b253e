package io.fedge.edge;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Arrays;

/**
 * Edge files built byte by byte, as a test's second path to the format: headers, layers and the
 * signature (Ed25519 over {@code "fedge-edge-model-v1" 0x00 SHA-256(body)}), written here from the
 * format's description rather than by {@link EdgeModel#write}.
 */
final class EdgeFiles {
    static final KeyPair KEYS = keys();

    private EdgeFiles() {
    }

    private static KeyPair keys() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes bytes field by field. */
    static final class Bytes {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(buffer);

        Bytes i(int... values) {
            try {
                for (int v : values) {
                    out.writeInt(v);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Bytes f(float... values) {
            try {
                for (float v : values) {
                    out.writeFloat(v);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Bytes b(int... values) {
            for (int v : values) {
                buffer.write(v);
            }
            return this;
        }

        Bytes raw(byte[] bytes) {
            buffer.write(bytes, 0, bytes.length);
            return this;
        }

        /** The bytes {@code layer.write} gives (format 2). */
        Bytes layer(EdgeLayer layer) {
            try {
                layer.write(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        byte[] bytes() {
            return buffer.toByteArray();
        }
    }

    /** Magic, format, empty metadata, mode, input shape and scale, and the layer count. */
    static Bytes header(int format, int mode, int[] shape, float inputScale, int layers) {
        Bytes b = new Bytes().i(0x46454D31, format, 0).b(mode).i(shape.length).i(shape).f(inputScale).i(layers);
        return b;
    }

    /** The body signed as the format says. */
    static byte[] signed(byte[] body) {
        return signed(body, KEYS.getPrivate());
    }

    static byte[] signed(byte[] body, PrivateKey key) {
        try {
            byte[] domain = "fedge-edge-model-v1\0".getBytes(StandardCharsets.US_ASCII);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(domain);
            s.update(digest);
            byte[] sig = s.sign();
            byte[] file = Arrays.copyOf(body, body.length + sig.length);
            System.arraycopy(sig, 0, file, body.length, sig.length);
            return file;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
