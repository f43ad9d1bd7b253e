package io.fedge.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The types a federation file's values have ({@link FederationKeys}): how a YAML value of each
 * is checked and turned into the text of the command-line option it sets, and how an option's
 * value is written back as YAML ({@code --print-config}). Checks fail with an
 * {@link IllegalArgumentException} naming the key and the expected type; the caller adds where in
 * the file. Stateless.
 */
enum ValueType {
    INTEGER("an integer"),
    NUMBER("a number"),
    BOOLEAN("true or false"),
    STRING("a string"),
    /** A string; relative paths are resolved against the folder of the file. */
    PATH("a path (a string)"),
    /** A YAML list of strings, for an option that splits its value at commas. */
    LIST("a list of strings"),
    DURATION("a duration such as 30s, 10m, 1h30m or never"),
    /** {@code NAME}, {@code NAME:key=value,...}, or a mapping with {@code name} and the strategy's parameters. */
    STRATEGY("a strategy: its name, NAME:key=value,..., or a mapping of name and the strategy's parameters");

    /** What a value of this type is, for messages. */
    final String expected;

    ValueType(String expected) {
        this.expected = expected;
    }

    /**
     * The option text for {@code value}, the YAML value at {@code key} in a file in {@code folder}.
     *
     * @throws IllegalArgumentException if {@code value} is not of this type, naming {@code key}
     */
    String optionText(String key, YamlNode value, Path folder) {
        return switch (this) {
            case INTEGER -> {
                if (value instanceof YamlNode.Scalar s && s.kind() == YamlNode.Kind.INTEGER) {
                    yield s.text();
                }
                throw wrongType(key, value);
            }
            case NUMBER -> {
                if (value instanceof YamlNode.Scalar s
                        && (s.kind() == YamlNode.Kind.INTEGER || s.kind() == YamlNode.Kind.FLOAT)) {
                    yield s.text();
                }
                throw wrongType(key, value);
            }
            case BOOLEAN -> {
                if (value instanceof YamlNode.Scalar s && s.kind() == YamlNode.Kind.BOOLEAN) {
                    yield s.text();
                }
                throw wrongType(key, value);
            }
            case STRING, DURATION -> text(key, value);
            case PATH -> {
                String text = text(key, value);
                try {
                    Path p = Path.of(text);
                    yield (p.isAbsolute() ? p : folder.resolve(p)).normalize().toString();
                } catch (InvalidPathException e) {
                    throw new IllegalArgumentException(key + " is not a path: " + e.getReason());
                }
            }
            case LIST -> {
                if (!(value instanceof YamlNode.Sequence seq)) {
                    throw wrongType(key, value);
                }
                List<String> items = new ArrayList<>();
                for (int i = 0; i < seq.items().size(); i++) {
                    String item = text(key + "[" + i + "]", seq.items().get(i));
                    if (item.isEmpty() || item.contains(",")) {
                        throw new Refused(key + "[" + i + "] must be a non-empty string without commas, not '"
                                + YamlNode.quote(item) + "'", seq.items().get(i));
                    }
                    items.add(item);
                }
                yield String.join(",", items);
            }
            case STRATEGY -> strategy(key, value);
        };
    }

    /**
     * The YAML form of an option's value (what picocli holds for it): numbers stay numbers,
     * paths become absolute, a strategy becomes a mapping of its name and parameters; null for
     * an option without a value.
     */
    Object yamlValue(Object optionValue) {
        if (optionValue == null) {
            return null;
        }
        return switch (this) {
            case INTEGER, NUMBER, BOOLEAN -> optionValue;
            case STRING -> optionValue.toString();
            case PATH -> ((Path) optionValue).toAbsolutePath().normalize().toString();
            case LIST -> {
                List<String> items = new ArrayList<>();
                for (Object o : (List<?>) optionValue) {
                    items.add(o.toString());
                }
                yield items;
            }
            case DURATION -> duration((Duration) optionValue);
            case STRATEGY -> strategyMapping(optionValue.toString());
        };
    }

    private Refused wrongType(String key, YamlNode value) {
        return new Refused(key + " must be " + expected + ", not " + value.describe(), value);
    }

    private String text(String key, YamlNode value) {
        if (value instanceof YamlNode.Scalar s && s.kind() == YamlNode.Kind.STRING) {
            return s.text();
        }
        throw new Refused(key + " must be " + (this == LIST || this == STRATEGY ? STRING.expected : expected)
                + ", not " + value.describe(), value);
    }

    /** A value refused, with the node it is about (an item of a list, a parameter of a strategy). */
    static final class Refused extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient YamlNode at;

        Refused(String message, YamlNode at) {
            super(message);
            this.at = at;
        }

        /** The value the message is about. */
        YamlNode at() {
            return at;
        }
    }

    private String strategy(String key, YamlNode value) {
        if (value instanceof YamlNode.Scalar s && s.kind() == YamlNode.Kind.STRING) {
            return s.text();
        }
        if (!(value instanceof YamlNode.Mapping map)) {
            throw wrongType(key, value);
        }
        YamlNode.Entry name = map.entries().get("name");
        if (name == null) {
            throw new IllegalArgumentException(key + " needs a name (one of the strategies fedge simulate --help "
                    + "lists), then the strategy's parameters");
        }
        StringBuilder spec = new StringBuilder(text(key + ".name", name.value()));
        String separator = ":";
        for (YamlNode.Entry e : map.entries().values()) {
            if (e.name().equals("name")) {
                continue;
            }
            if (!(e.value() instanceof YamlNode.Scalar s) || s.kind() == YamlNode.Kind.NULL) {
                throw new Refused(key + "." + e.name() + " must be a number, true, false or a string, not "
                        + e.value().describe(), e.value());
            }
            if (s.text().contains(",") || s.text().contains("=")) {
                throw new Refused(key + "." + e.name() + " must not contain ',' or '=': '" + YamlNode.quote(s.text()) + "'", s);
            }
            spec.append(separator).append(e.name()).append('=').append(s.text());
            separator = ",";
        }
        return spec.toString();
    }

    /** {@code fedadam:eta=0.01} as {name: fedadam, eta: 0.01}; the bare name for a strategy without parameters. */
    private static Object strategyMapping(String spec) {
        int colon = spec.indexOf(':');
        if (colon < 0) {
            return spec;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", spec.substring(0, colon));
        for (String pair : spec.substring(colon + 1).split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                return spec; // not NAME:key=value,...: print it as it was given
            }
            map.put(pair.substring(0, eq).strip(), scalar(pair.substring(eq + 1).strip()));
        }
        return map;
    }

    private static Object scalar(String text) {
        if (text.equals("true") || text.equals("false")) {
            return Boolean.valueOf(text);
        }
        try {
            return Long.valueOf(text);
        } catch (NumberFormatException notLong) {
            try {
                double d = Double.parseDouble(text);
                return Double.isFinite(d) ? d : text;
            } catch (NumberFormatException notNumber) {
                return text;
            }
        }
    }

    /** 90 s as {@code 1m30s}; zero as {@code never}, as {@link GiveUpOption.Converter} reads them. */
    static String duration(Duration d) {
        if (d.isZero()) {
            return "never";
        }
        StringBuilder sb = new StringBuilder();
        long days = d.toDays();
        int hours = d.toHoursPart();
        int minutes = d.toMinutesPart();
        int seconds = d.toSecondsPart();
        int millis = d.toMillisPart();
        if (days > 0) {
            sb.append(days).append('d');
        }
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (minutes > 0) {
            sb.append(minutes).append('m');
        }
        if (seconds > 0) {
            sb.append(seconds).append('s');
        }
        if (millis > 0) {
            sb.append(millis).append("ms");
        }
        return sb.toString();
    }
}
