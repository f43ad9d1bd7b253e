package io.fedge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The compression options {@code fedge simulate} and {@code fedge coordinator} share. */
final class Compression {
    @Option(names = "--codec", description = "update codec pipeline: [topk:F+](fp32|fp16|int8|int4|sign)[+zstd], "
            + "e.g. int8, topk:0.01+int8+zstd; default ${DEFAULT-VALUE}")
    String codec = "fp32";

    @Option(names = "--downlink", description = "precision of the models sent to clients: fp32 or fp16; "
            + "default ${DEFAULT-VALUE}")
    String downlink = "fp32";

    @Option(names = "--codec-warmup", split = ",", description = "codecs for the first rounds, one per round, "
            + "before --codec: a sparsity warm-up such as topk:0.1+int8,topk:0.03+int8")
    java.util.List<String> warmup = java.util.List.of();

    @Option(names = "--downlink-delta", description = "send a client the model as a lossless delta against the "
            + "version it last received, keeping this many recent versions; 0 = always in full; default ${DEFAULT-VALUE}")
    int deltaVersions;

    /** @throws IllegalArgumentException for a codec this build cannot encode, an unknown precision, a negative count */
    void validate() {
        OptionChecks.codec("--codec", codec);
        for (String w : warmup) {
            OptionChecks.codec("--codec-warmup", w);
        }
        OptionChecks.oneOf("--downlink", downlink, java.util.List.of("fp32", "fp16"));
        OptionChecks.atLeast("--downlink-delta", deltaVersions, 0);
    }

    /** Whether {@code --downlink} asks for half-precision models. */
    boolean halfPrecisionModels() {
        return switch (downlink) {
            case "fp16" -> true;
            case "fp32" -> false;
            default -> throw new CommandLine.TypeConversionException("--downlink must be fp32 or fp16, not '"
                    + downlink + "'");
        };
    }

    /** A suffix for the command's banner: empty for the defaults. */
    String describe() {
        return (codec.equals("fp32") ? "" : ", codec " + codec) + (warmup.isEmpty() ? "" : " after " + warmup)
                + (halfPrecisionModels() ? ", fp16 models" : "") + (deltaVersions > 0 ? ", model deltas" : "");
    }
}
