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
 * <p>The file: magic {@code FEM1}, format 2, metadata ({@code key=value} lines, UTF-8), mode,
 * input shape ({@code [n]} for a feature vector, {@code [channels, height, width]} for an image,
 * read from flat channel-first rows) and scale, the layers, then an Ed25519 signature over
 * {@code "fedge-edge-model-v1"}, a zero byte and the SHA-256 of everything before it. Format 2
 * added activations beyond ReLU, convolution and pooling windows with any stride and padding,
 * average and global pooling, and residual blocks; {@link #read} still reads format 1 (dense,
 * stride-1 "same" odd-kernel convolutions, tiling max pooling, ReLU or nothing), and
 * {@link #write} always writes format 2.
 *
 * <p>Immutable and thread-safe.
 */
public final class EdgeModel {
    /** How activations are represented. */
    public enum Mode { FULL_INTEGER, WEIGHT_ONLY }

    private static final int MAGIC = 0x46454D31; // "FEM1"
    /** The format {@link #write} writes. */
    static final int FORMAT = 2;
    private static final byte[] DOMAIN = "fedge-edge-model-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final int SIGNATURE_BYTES = 64;
    private static final int MAX_LAYERS = 256;

    private final Map<String, String> metadata;
    private final Mode mode;
    private final int[] inputShape;
    private final float inputScale;
    private final List<EdgeLayer> layers;

    /**
     * @param inputShape {@code [n]} or {@code [channels, height, width]}
     * @param inputScale the int8 scale of the input (full-integer mode; ignored in weight-only mode)
     * @param layers a chain that reads {@code inputShape} and ends with a dense layer without
     *     activation (the logits)
     * @throws IllegalArgumentException if the shape is neither a vector nor an image, a layer does
     *     not read what the one before produces, the last layer is not such a dense layer, or a
     *     full-integer model has no positive input scale
     */
    public EdgeModel(Map<String, String> metadata, Mode mode, int[] inputShape, float inputScale,
                     List<EdgeLayer> layers) {
        this.metadata = Map.copyOf(metadata);
        this.mode = Objects.requireNonNull(mode, "mode");
        this.inputShape = inputShape.clone();
        this.inputScale = inputScale;
        this.layers = List.copyOf(layers);
        if (this.inputShape.length != 1 && this.inputShape.length != 3) {
            throw new IllegalArgumentException("the input is a vector [n] or an image [channels, height, width], not "
                    + "of rank " + this.inputShape.length);
        }
        for (int d : this.inputShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("input dimensions must be positive: " + Arrays.toString(inputShape));
            }
        }
        if (EdgeLayer.size(this.inputShape) > EdgeLayer.MAX_TENSOR) {
            throw new IllegalArgumentException("the input holds more than " + EdgeLayer.MAX_TENSOR + " values");
        }
        if (this.layers.isEmpty()) {
            throw new IllegalArgumentException("an edge model has at least one layer");
        }
        EdgeLayer lastLayer = this.layers.get(this.layers.size() - 1);
        ChannelQuantization head = lastLayer instanceof QuantizedDense d ? d.quantization()
                : lastLayer instanceof SparseQuantizedDense d ? d.quantization() : null;
        if (head == null || head.activation().kind() != EdgeActivation.Kind.IDENTITY) {
            throw new IllegalArgumentException("an edge model ends with a dense layer without activation (the logits), "
                    + "not " + (head == null ? lastLayer.getClass().getSimpleName() : "one with " + head.activation()));
        }
        LayerChain.check(this.inputShape, this.layers, "");
        if (mode == Mode.FULL_INTEGER && !(inputScale > 0 && Float.isFinite(inputScale))) {
            throw new IllegalArgumentException("a full-integer model needs a positive input scale: " + inputScale);
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
        try {
            return parse(body);
        } catch (java.io.EOFException e) {
            throw new IOException("edge model is cut short");
        }
    }

    /** The signed body: header, metadata, input, layers. */
    private static EdgeModel parse(byte[] body) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        if (in.readInt() != MAGIC) {
            throw new IOException("not an edge model (bad magic)");
        }
        int format = in.readInt();
        if (format != 1 && format != FORMAT) {
            throw new IOException("unsupported edge model format " + format + " (this reader knows 1 and " + FORMAT
                    + ")");
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
        int rank = EdgeLayer.checkedSize(in, "input rank", 3);
        if (rank == 2) {
            throw new IOException("input rank 2: the input is a vector [n] or an image [channels, height, width]");
        }
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = EdgeLayer.checkedSize(in, "input dimension " + i, EdgeLayer.MAX_TENSOR);
        }
        float inputScale = readScale(in);
        int count = EdgeLayer.checkedSize(in, "layer count", MAX_LAYERS);
        List<EdgeLayer> layers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            try {
                layers.add(EdgeLayer.read(in, format));
            } catch (java.io.EOFException e) {
                throw new IOException("layer " + i + " of " + count + " is cut short");
            } catch (IOException e) {
                throw new IOException("layer " + i + ": " + e.getMessage(), e);
            }
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
