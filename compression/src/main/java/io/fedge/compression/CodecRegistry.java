package io.fedge.compression;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Codecs by name, in the spirit of gRPC's {@code CompressorRegistry}: the wire carries a codec's
 * name, and each side looks it up here. Immutable and thread-safe; build variations with
 * {@link #with(UpdateCodec)}.
 */
public final class CodecRegistry {
    private static final CodecRegistry DEFAULT = new CodecRegistry(Map.of()).with(new Fp32Codec());

    private final Map<String, UpdateCodec> codecs;

    private CodecRegistry(Map<String, UpdateCodec> codecs) {
        this.codecs = codecs;
    }

    /** The codecs fedge ships. */
    public static CodecRegistry defaultRegistry() {
        return DEFAULT;
    }

    /** A registry with {@code codec} added (replacing one of the same name). */
    public CodecRegistry with(UpdateCodec codec) {
        Objects.requireNonNull(codec, "codec");
        Map<String, UpdateCodec> copy = new LinkedHashMap<>(codecs);
        copy.put(codec.name(), codec);
        return new CodecRegistry(Map.copyOf(copy));
    }

    /**
     * The codec called {@code name}.
     *
     * @throws FedgeException with {@link ErrorCode#UNSUPPORTED_CODEC} if there is none
     */
    public UpdateCodec get(String name) {
        UpdateCodec codec = codecs.get(name);
        if (codec == null) {
            throw new FedgeException(ErrorCode.UNSUPPORTED_CODEC, "unknown codec '" + name + "', known: " + names());
        }
        return codec;
    }

    /** Whether a codec of that name is registered. */
    public boolean contains(String name) {
        return codecs.containsKey(name);
    }

    /** The registered names, sorted. */
    public List<String> names() {
        List<String> names = new ArrayList<>(codecs.keySet());
        names.sort(null);
        return names;
    }
}
