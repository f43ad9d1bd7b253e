package io.fedge.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The stage names of a codec pipeline name such as {@code topk:0.01+int8+zstd}: what a client must
 * have advertised in its {@code Hello} to be given that codec. Parsing the pipeline itself is the
 * compression module's business; this is the part strategies need to choose clients.
 */
public final class CodecNames {
    private CodecNames() {
    }

    /** The stages of {@code pipeline}, without their arguments: {@code [topk, int8, zstd]}. */
    public static List<String> stages(String pipeline) {
        List<String> out = new ArrayList<>();
        for (String part : pipeline.split("\\+", -1)) {
            String p = part.trim();
            int colon = p.indexOf(':');
            out.add(colon < 0 ? p : p.substring(0, colon));
        }
        return out;
    }

    /** Whether a client advertising {@code stages} can encode {@code pipeline}. */
    public static boolean supportedBy(String pipeline, List<String> advertised) {
        return advertised.contains(pipeline) || advertised.containsAll(stages(pipeline));
    }
}
