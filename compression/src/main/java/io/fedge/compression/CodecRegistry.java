package io.fedge.compression;

import io.fedge.core.CodecNames;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Codecs by name, in the spirit of gRPC's {@code CompressorRegistry}: the wire carries a codec's
 * name, and each side looks it up here. A name is a pipeline of stages joined by {@code +}:
 *
 * <pre>
 *   [topk:FRACTION +] VALUES [+ zstd[:level=L]]
 *   VALUES = fp32 | fp16 | int8[:block=B][,stochastic] | int4[:block=B][,stochastic] | sign[:block=B]
 * </pre>
 *
 * for example {@code fp16}, {@code int8+zstd}, {@code topk:0.01+int8}. {@link #get} parses a
 * pipeline into a codec (cached) and names it canonically, so both ends agree on the name.
 * Immutable and thread-safe; add codecs of your own with {@link #with(UpdateCodec)}.
 */
public final class CodecRegistry {
    /** The stages fedge ships; clients advertise these names. */
    public static final List<String> STAGES = List.of("fp32", "fp16", "int8", "int4", "sign", "topk", "zstd");
    private static final CodecRegistry DEFAULT = new CodecRegistry(Map.of(), STAGES);

    private final Map<String, UpdateCodec> custom;
    private final List<String> stages;
    private final Map<String, UpdateCodec> parsed = new ConcurrentHashMap<>();

    private CodecRegistry(Map<String, UpdateCodec> custom, List<String> stages) {
        this.custom = custom;
        this.stages = stages;
    }

    /** The codecs fedge ships. */
    public static CodecRegistry defaultRegistry() {
        return DEFAULT;
    }

    /** A registry with {@code codec} added as a whole pipeline of its own (replacing one of the same name). */
    public CodecRegistry with(UpdateCodec codec) {
        Objects.requireNonNull(codec, "codec");
        Map<String, UpdateCodec> copy = new LinkedHashMap<>(custom);
        copy.put(codec.name(), codec);
        List<String> names = new ArrayList<>(stages);
        if (!names.contains(codec.name())) {
            names.add(codec.name());
        }
        return new CodecRegistry(Map.copyOf(copy), List.copyOf(names));
    }

    /** A registry that knows only the given stages of fedge's (a device that cannot run zstd, say). */
    public CodecRegistry only(List<String> stageNames) {
        for (String s : stageNames) {
            if (!stages.contains(s)) {
                throw new IllegalArgumentException("unknown stage '" + s + "', known: " + stages);
            }
        }
        return new CodecRegistry(custom, List.copyOf(stageNames));
    }

    /**
     * The codec for pipeline {@code name}.
     *
     * @throws FedgeException with {@link ErrorCode#UNSUPPORTED_CODEC} if it does not parse or uses
     *     a stage this registry does not have
     */
    public UpdateCodec get(String name) {
        UpdateCodec c = custom.get(name);
        if (c != null) {
            return c;
        }
        UpdateCodec codec = parsed.get(name);
        if (codec == null) {
            try {
                codec = parse(name);
            } catch (IllegalArgumentException e) {
                throw new FedgeException(ErrorCode.UNSUPPORTED_CODEC, "codec '" + name + "': " + e.getMessage());
            }
            for (String stage : CodecNames.stages(name)) {
                if (!stages.contains(stage)) {
                    throw new FedgeException(ErrorCode.UNSUPPORTED_CODEC, "codec '" + name + "' needs stage '" + stage
                            + "', this side has " + stages);
                }
            }
            parsed.putIfAbsent(name, codec);
        }
        return codec;
    }

    /** Whether {@link #get} would find a codec for {@code name}. */
    public boolean contains(String name) {
        try {
            get(name);
            return true;
        } catch (FedgeException e) {
            return false;
        }
    }

    /**
     * Whether codec {@code name} may change the values it carries: one that wants error feedback
     * does, and so does every pipeline with a stage other than {@code fp32} and {@code zstd} (fp16,
     * int8, int4, sign and top-k round or drop values). A codec added with {@link #with} counts as
     * lossy unless it is a pipeline of those two stages by name: this registry cannot tell what it
     * does to the values. For strategies whose arithmetic needs exact updates (SCAFFOLD's control
     * variates).
     *
     * @throws FedgeException with {@link ErrorCode#UNSUPPORTED_CODEC} if this registry has no such codec
     */
    public boolean isLossy(String name) {
        UpdateCodec codec = get(name);
        if (codec.wantsErrorFeedback()) {
            return true;
        }
        for (String stage : CodecNames.stages(codec.name())) {
            if (!stage.equals(Fp32Codec.NAME) && !stage.equals("zstd")) {
                return true;
            }
        }
        return false;
    }

    /** The stage names this registry knows, as clients advertise them. */
    public List<String> names() {
        List<String> names = new ArrayList<>(stages);
        names.sort(null);
        return names;
    }

    /**
     * Parses a pipeline.
     *
     * @throws IllegalArgumentException naming what is wrong with it
     */
    static UpdateCodec parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        String[] parts = spec.trim().split("\\+", -1);
        int i = 0;
        Double topk = null;
        Stage first = Stage.of(parts[0]);
        if (first.name.equals("topk")) {
            if (first.args.isEmpty()) {
                throw new IllegalArgumentException("topk needs a fraction, as in topk:0.01");
            }
            topk = first.number(0, "fraction");
            first.expectArgs(1);
            i++;
        }
        UpdateCodec values = new Fp32Codec();
        if (i < parts.length && !Stage.of(parts[i]).name.equals("zstd")) {
            values = valueCodec(Stage.of(parts[i]));
            i++;
        }
        UpdateCodec codec = topk == null ? values : new TopKCodec(topk, values);
        if (i < parts.length) {
            Stage z = Stage.of(parts[i]);
            if (!z.name.equals("zstd")) {
                throw new IllegalArgumentException("'" + z.name + "' cannot follow '" + parts[i - 1]
                        + "': a pipeline is [topk:F+]VALUES[+zstd]");
            }
            int level = ZstdCodec.DEFAULT_LEVEL;
            if (!z.args.isEmpty()) {
                level = (int) z.keyed("level", ZstdCodec.DEFAULT_LEVEL);
                z.expectArgs(1);
            }
            codec = new ZstdCodec(codec, level);
            i++;
        }
        if (i < parts.length) {
            throw new IllegalArgumentException("zstd must be the last stage");
        }
        return codec;
    }

    private static UpdateCodec valueCodec(Stage s) {
        switch (s.name) {
            case "fp32" -> {
                s.expectArgs(0);
                return new Fp32Codec();
            }
            case "fp16" -> {
                s.expectArgs(0);
                return new Fp16Codec();
            }
            case "int8", "int4" -> {
                int block = (int) s.keyed("block", BlockQuantizedCodec.DEFAULT_BLOCK);
                boolean stochastic = s.flag("stochastic");
                s.expectArgs((s.has("block") ? 1 : 0) + (stochastic ? 1 : 0));
                return new BlockQuantizedCodec(s.name.equals("int8") ? 8 : 4, block, stochastic);
            }
            case "sign" -> {
                int block = (int) s.keyed("block", BlockQuantizedCodec.DEFAULT_BLOCK);
                s.expectArgs(s.has("block") ? 1 : 0);
                return new SignCodec(block);
            }
            case "topk" -> throw new IllegalArgumentException("topk must be the first stage");
            default -> throw new IllegalArgumentException("unknown stage '" + s.name + "', known: " + STAGES);
        }
    }

    /** One stage of a pipeline: {@code name[:arg[,arg]...]}. */
    private static final class Stage {
        final String name;
        final List<String> args;

        private Stage(String name, List<String> args) {
            this.name = name;
            this.args = args;
        }

        static Stage of(String text) {
            String t = text.trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("empty stage");
            }
            int colon = t.indexOf(':');
            if (colon < 0) {
                return new Stage(t, List.of());
            }
            List<String> args = new ArrayList<>();
            for (String a : t.substring(colon + 1).split(",", -1)) {
                args.add(a.trim());
            }
            return new Stage(t.substring(0, colon), args);
        }

        double number(int index, String what) {
            try {
                return Double.parseDouble(args.get(index));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " " + what + " must be a number: '" + args.get(index) + "'");
            }
        }

        boolean has(String key) {
            return args.stream().anyMatch(a -> a.startsWith(key + "="));
        }

        double keyed(String key, double fallback) {
            for (String a : args) {
                if (a.startsWith(key + "=")) {
                    try {
                        return Double.parseDouble(a.substring(key.length() + 1));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(name + " " + key + " must be a number: '" + a + "'");
                    }
                }
            }
            return fallback;
        }

        boolean flag(String key) {
            return args.contains(key);
        }

        void expectArgs(int n) {
            if (args.size() != n) {
                throw new IllegalArgumentException("stage '" + name + "' does not understand " + args);
            }
        }
    }
}
