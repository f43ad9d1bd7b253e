package io.fedge.core.model;

import io.fedge.core.ErrorCode;
import io.fedge.core.Half;
import io.fedge.core.FedgeException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One version of the federation's model: its DL4J architecture as JSON (a layer stack or a graph)
 * and its parameters as one flat float vector in DL4J's parameter order.
 *
 * <p>The binary form ({@link #encode()} / {@link #decode(byte[])}) is what travels to clients:
 * a magic number, a format version, the model version, the configuration and the little-endian
 * parameters. Decoding checks every length and refuses non-finite parameters.
 *
 * <p>Instances are immutable; {@link #parameters()} returns a copy. Thread-safe.
 */
public final class GlobalModel {
    private static final int MAGIC = 0x4644_474D; // "FDGM"
    private static final int FORMAT_VERSION = 1;
    /** Format 2 carries the parameters as IEEE half floats: half the download, about 3 decimal digits. */
    private static final int FORMAT_HALF = 2;
    /** The largest configuration a model may carry (UTF-8 bytes); real ones are a few KB. */
    public static final int MAX_CONFIG_BYTES = 16 << 20;

    private final long version;
    private final String configJson;
    private final float[] parameters;

    public GlobalModel(long version, String configJson, float[] parameters) {
        if (version < 0) {
            throw new IllegalArgumentException("version must be non-negative: " + version);
        }
        this.version = version;
        this.configJson = Objects.requireNonNull(configJson, "configJson");
        this.parameters = Objects.requireNonNull(parameters, "parameters").clone();
    }

    /** The model version; 0 is the initial model, each aggregated round adds one. */
    public long version() {
        return version;
    }

    /**
     * The model's DL4J configuration as JSON, of either kind: a {@code MultiLayerConfiguration}
     * (a layer stack) or a {@code ComputationGraphConfiguration} (a graph); {@link Network#kindOf}
     * tells which, {@link Dl4jModels#network} builds it.
     */
    public String configJson() {
        return configJson;
    }

    /** A copy of the flat parameter vector. */
    public float[] parameters() {
        return parameters.clone();
    }

    /** The number of parameters. */
    public int parameterCount() {
        return parameters.length;
    }

    /** Reads parameter {@code i} without copying the vector. */
    public float parameter(int i) {
        return parameters[i];
    }

    /** Copies {@code length} parameters starting at {@code from} into {@code dst} at {@code dstPos}. */
    public void copyParameters(int from, float[] dst, int dstPos, int length) {
        System.arraycopy(parameters, from, dst, dstPos, length);
    }

    /** The same architecture with new parameters and a new version. */
    public GlobalModel withParameters(long newVersion, float[] newParameters) {
        if (newParameters.length != parameters.length) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH,
                    "expected " + parameters.length + " parameters, got " + newParameters.length);
        }
        return new GlobalModel(newVersion, configJson, newParameters);
    }

    /** The size in bytes of the parameters alone (4 bytes each). */
    public long parameterBytes() {
        return 4L * parameters.length;
    }

    /** Serializes this model to its binary form. */
    public byte[] encode() {
        return encode(false);
    }

    /**
     * Serializes this model, with the parameters as float32 or, with {@code halfPrecision}, as
     * IEEE half floats (format 2: half the bytes; relative error at most 2^-11).
     */
    public byte[] encode(boolean halfPrecision) {
        byte[] config = configJson.getBytes(StandardCharsets.UTF_8);
        int width = halfPrecision ? 2 : 4;
        ByteBuffer out = ByteBuffer.allocate(4 + 4 + 8 + 4 + config.length + 4 + width * parameters.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(MAGIC).putInt(halfPrecision ? FORMAT_HALF : FORMAT_VERSION).putLong(version);
        out.putInt(config.length).put(config);
        out.putInt(parameters.length);
        if (halfPrecision) {
            for (float p : parameters) {
                out.putShort(Half.fromFloat(p));
            }
        } else {
            out.asFloatBuffer().put(parameters);
        }
        return out.array();
    }

    /**
     * Parses the binary form.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if the bytes are not a complete,
     *     well-formed model, or {@link ErrorCode#NON_FINITE} if a parameter is NaN or infinite
     */
    public static GlobalModel decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int magic = in.getInt();
            if (magic != MAGIC) {
                throw malformed("bad magic number 0x" + Integer.toHexString(magic));
            }
            int format = in.getInt();
            if (format != FORMAT_VERSION && format != FORMAT_HALF) {
                throw malformed("unsupported model format " + format);
            }
            long version = in.getLong();
            int configLength = in.getInt();
            if (configLength < 0 || configLength > MAX_CONFIG_BYTES || configLength > in.remaining()) {
                throw malformed("bad configuration length " + configLength);
            }
            byte[] config = new byte[configLength];
            in.get(config);
            int count = in.getInt();
            int width = format == FORMAT_HALF ? 2 : 4;
            if (count < 0 || (long) count * width != in.remaining()) {
                throw malformed("parameter count " + count + " does not match the " + in.remaining()
                        + " bytes that follow");
            }
            float[] params = new float[count];
            if (format == FORMAT_HALF) {
                for (int i = 0; i < count; i++) {
                    short h = in.getShort();
                    if ((h & 0x7C00) == 0x7C00) {
                        throw new FedgeException(ErrorCode.NON_FINITE, "parameter " + i + " is not a finite half");
                    }
                    params[i] = Half.toFloat(h);
                }
            } else {
                in.asFloatBuffer().get(params);
            }
            for (int i = 0; i < count; i++) {
                if (!Float.isFinite(params[i])) {
                    throw new FedgeException(ErrorCode.NON_FINITE, "parameter " + i + " is " + params[i]);
                }
            }
            return new GlobalModel(version, new String(config, StandardCharsets.UTF_8), params);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw malformed("truncated model: " + e);
        }
    }

    private static FedgeException malformed(String message) {
        return new FedgeException(ErrorCode.MALFORMED, message);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GlobalModel other
                && version == other.version
                && configJson.equals(other.configJson)
                && Arrays.equals(parameters, other.parameters);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, configJson, Arrays.hashCode(parameters));
    }

    @Override
    public String toString() {
        return "GlobalModel[version=" + version + ", parameters=" + parameters.length + "]";
    }
}
