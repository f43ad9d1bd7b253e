package io.fedge.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code --print-config} prints: every key of {@link FederationKeys} that a command takes,
 * with the value its option holds after parsing (the command line over the file over the
 * built-in default), as a federation file that gives the same values back when read with
 * {@code --config}. Keys whose option has no value (a default computed at run time, such as
 * {@code selection.per_round} of the coordinator) are left out. Paths are absolute. Stateless.
 */
final class EffectiveConfig {
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private EffectiveConfig() {
    }

    /**
     * The configuration of {@code spec}, parsed, as YAML.
     *
     * @param command the command's name in the table
     * @param file    the federation file it was given, or null
     */
    static String yaml(CommandSpec spec, String command, String file) {
        Map<String, Object> top = values(spec, command);
        StringBuilder sb = new StringBuilder();
        sb.append("# fedge ").append(command).append(": the effective configuration (")
                .append(file == null ? "" : "the file " + file + ", then ").append("the command line, then the defaults)\n");
        try {
            sb.append(YAML.writeValueAsString(top));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the configuration as YAML", e);
        }
        return sb.toString();
    }

    /** The sections and top-level keys of {@code command}, in the table's order. */
    static Map<String, Object> values(CommandSpec spec, String command) {
        Map<String, Object> top = new LinkedHashMap<>();
        for (FederationKeys.Key key : FederationKeys.KEYS) {
            FederationKeys.Target target = key.targets().get(command);
            OptionSpec option = target == null ? null : spec.findOption(target.option());
            if (option == null) {
                continue;
            }
            Object value = key.type().yamlValue(option.getValue());
            if (value == null) {
                continue;
            }
            if (target.negated()) {
                value = !(Boolean) value;
            } else if (value instanceof Double d) {
                value = Double.isFinite(d) ? new BigDecimal(Double.toString(d)) : d;
            }
            if (key.topLevel()) {
                top.put(key.path(), value);
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> section = (Map<String, Object>) top.computeIfAbsent(key.section(),
                        s -> new LinkedHashMap<String, Object>());
                section.put(key.name(), value);
            }
        }
        return top;
    }
}
