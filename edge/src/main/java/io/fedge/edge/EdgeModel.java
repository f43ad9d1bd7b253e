package io.fedge.edge;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A classifier for devices that only infer: int8 layers run by a pure-Java engine, no ND4J and no
 * native code. The coordinator distils the global model into a small student, quantizes it and
 * writes it in this format, signed with its Ed25519 model-signing key; {@link #read} refuses a
 * file whose signature does not verify with the key the device pins.
 *
 * <p>Two modes: {@link Mode#FULL_INTEGER} quantizes the input and every activation to int8 (one
 * calibrated scale per tensor) and accumulates in int32; {@link Mode#WEIGHT_ONLY} keeps float
 * activations and only stores weights as int8.
 *
 * <p>The file: magic {@code FEM1}, format 1, metadata ({@code key=value} lines, UTF-8), mode,
 * input shape and scale, the layers, then an Ed25519 signature over {@code "fedge-edge-model-v1"},
 * a zero byte and the SHA-256 of everything before it.
 *
 * <p>Immutable and thread-safe.
 */
public final class EdgeModel {
    /** How activations are represented. */
    public enum Mode { FULL_INTEGER, WEIGHT_ONLY }

    private static final int MAGIC = 0x46454D31; // "FEM1"
    private static final int FORMAT = 1;
    private static final byte[] DOMAIN = "fedge-edge-model-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final int SIGNATURE_BYTES = 64;
    private static final int MAX_LAYERS = 256;

    private final Map<String, String> metadata;
    private final Mode mode;
    private final int[] inputShape;
    private final float inputScale;
    private final List<EdgeLayer> layers;

    public EdgeModel(Map<String, String> metadata, Mode mode, int[] inputShape, float inputScale,
                     List<EdgeLayer> layers) {
        this.metadata = Map.copyOf(metadata);
        this.mode = Objects.requireNonNull(mode, "mode");
        this.inputShape = inputShape.clone();
        this.inputScale = inputScale;
        this.layers = List.copyOf(layers);
        EdgeLayer lastLayer = this.layers.isEmpty() ? null : this.layers.get(this.layers.size() - 1);
        if (!(lastLayer instanceof QuantizedDense || lastLayer instanceof SparseQuantizedDense)) {
            throw new IllegalArgumentException("an edge model ends with a dense layer (the logits)");
        }
        int size = Arrays.stream(inputShape).reduce(1, (a, b) -> a * b);
        for (EdgeLayer l : this.layers) {
            if (l.inputSize() != size) {
                throw new IllegalArgumentException(l.getClass().getSimpleName() + " reads " + l.inputSize()
                        + " values but gets " + size);
            }
            size = l.outputSize();
        }
        if (mode == Mode.FULL_INTEGER && !(inputScale > 0)) {
            throw new IllegalArgumentException("a full-integer model needs a positive input scale");
        }
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Mode mode() {
        return mode;
    }

    public List<EdgeLayer> layers() {
        return layers;
    }

    /** The input's shape: {@code [channels, height, width]} for images, {@code [n]} for vectors. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** The int8 scale of the input. */
    public float inputScale() {
        return inputScale;
    }

    /** The number of values {@link #predict} reads. */
    public int inputSize() {
        return layers.get(0).inputSize();
    }

    /** The number of classes. */
    public int classes() {
        return layers.get(layers.size() - 1).outputSize();
    }

    /** Parameter bytes as stored: int8 weights, float scales, int32 biases. */
    public long parameterBytes() {
        return layers.stream().mapToLong(EdgeLayer::storedBytes).sum();
    }

    /** The logits for one input (channel, row, column order, as DL4J flattens NCHW). */
    public float[] logits(float[] input) {
        if (input.length != inputSize()) {
            throw new IllegalArgumentException("input has " + input.length + " values, the model reads " + inputSize());
        }
        if (mode == Mode.WEIGHT_ONLY) {
            float[] x = input;
            for (EdgeLayer l : layers) {
                float[] y = new float[l.outputSize()];
                l.forward(x, y);
                x = y;
            }
            return x;
        }
        byte[] x = new byte[input.length];
        float inverse = 1 / inputScale;
        for (int i = 0; i < input.length; i++) {
            x[i] = EdgeLayer.saturate(input[i] * inverse);
        }
        for (int i = 0; i < layers.size() - 1; i++) {
            EdgeLayer l = layers.get(i);
            byte[] y = new byte[l.outputSize()];
            l.forward(x, y, null);
            x = y;
        }
        float[] logits = new float[classes()];
        layers.get(layers.size() - 1).forward(x, null, logits);
        return logits;
    }

    /** Class probabilities (softmax of the logits). */
    public float[] predict(float[] input) {
        float[] z = logits(input);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) Math.exp(z[i] - max);
            sum += z[i];
        }
        for (int i = 0; i < z.length; i++) {
            z[i] /= (float) sum;
        }
        return z;
    }

    /** The most probable class. */
    public int classify(float[] input) {
        float[] z = logits(input);
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The signed file, signed with the coordinator's Ed25519 model-signing key. */
    public byte[] write(PrivateKey signingKey) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            StringBuilder meta = new StringBuilder();
            metadata.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> meta.append(e.getKey()).append('=').append(e.getValue()).append('\n'));
            byte[] m = meta.toString().getBytes(StandardCharsets.UTF_8);
            out.writeInt(m.length);
            out.write(m);
            out.writeByte(mode.ordinal());
            out.writeInt(inputShape.length);
            for (int d : inputShape) {
                out.writeInt(d);
            }
            out.writeFloat(inputScale);
            out.writeInt(layers.size());
            for (EdgeLayer l : layers) {
                l.write(out);
            }
            out.flush();
            byte[] body = bytes.toByteArray();
            byte[] signature = sign(body, signingKey);
            byte[] file = Arrays.copyOf(body, body.length + SIGNATURE_BYTES);
            System.arraycopy(signature, 0, file, body.length, SIGNATURE_BYTES);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a signed edge model.
     *
     * @throws SecurityException if the signature does not verify with {@code trustedKey}: the file
     *     was changed or signed by someone else; nothing of it is parsed
     * @throws IOException if the file is not a well-formed edge model
     */
    public static EdgeModel read(byte[] file, PublicKey trustedKey) throws IOException {
        if (file.length < SIGNATURE_BYTES + 8) {
            throw new IOException("too short to be an edge model: " + file.length + " bytes");
        }
        byte[] body = Arrays.copyOf(file, file.length - SIGNATURE_BYTES);
        byte[] signature = Arrays.copyOfRange(file, file.length - SIGNATURE_BYTES, file.length);
        if (!verify(body, signature, trustedKey)) {
            throw new SecurityException("edge model signature does not verify with the pinned coordinator key");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        if (in.readInt() != MAGIC) {
            throw new IOException("not an edge model (bad magic)");
        }
        int format = in.readInt();
        if (format != FORMAT) {
            throw new IOException("unsupported edge model format " + format);
        }
        int metaLength = in.readInt();
        if (metaLength < 0 || metaLength > in.available()) {
            throw new IOException("bad metadata length " + metaLength);
        }
        byte[] m = new byte[metaLength];
        in.readFully(m);
        Map<String, String> metadata = new LinkedHashMap<>();
        for (String line : new String(m, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                metadata.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        int modeIndex = in.readUnsignedByte();
        if (modeIndex >= Mode.values().length) {
            throw new IOException("unknown mode " + modeIndex);
        }
        int rank = EdgeLayer.checkedSize(in, "input rank", 4);
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = EdgeLayer.checkedSize(in, "input dimension", 1 << 16);
        }
        float inputScale = in.readFloat();
        int count = EdgeLayer.checkedSize(in, "layer count", MAX_LAYERS);
        List<EdgeLayer> layers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            layers.add(EdgeLayer.read(in));
        }
        if (in.available() != 0) {
            throw new IOException(in.available() + " stray bytes after the layers");
        }
        try {
            return new EdgeModel(metadata, Mode.values()[modeIndex], shape, inputScale, layers);
        } catch (IllegalArgumentException e) {
            throw new IOException("inconsistent edge model: " + e.getMessage());
        }
    }

    static float readScale(DataInputStream in) throws IOException {
        float s = in.readFloat();
        if (!(s >= 0) || !Float.isFinite(s)) {
            throw new IOException("bad scale " + s);
        }
        return s;
    }

    private static byte[] message(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            byte[] msg = Arrays.copyOf(DOMAIN, DOMAIN.length + digest.length);
            System.arraycopy(digest, 0, msg, DOMAIN.length, digest.length);
            return msg;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }

    private static byte[] sign(byte[] body, PrivateKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message(body));
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key (Ed25519 needed): " + e.getMessage(), e);
        }
    }

    private static boolean verify(byte[] body, byte[] signature, PublicKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message(body));
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
