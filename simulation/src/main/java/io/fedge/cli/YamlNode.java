package io.fedge.cli;

import java.util.List;
import java.util.Map;

/**
 * A YAML value of a federation file with where it starts (line and column, from 1), as
 * {@link YamlTree} reads it: a scalar, a list or a mapping. Immutable.
 */
sealed interface YamlNode {
    int line();

    int column();

    /** For messages: {@code the string 'ten'}, {@code the number 2.5}, {@code a list}, ... */
    String describe();

    /**
     * {@code text} for a one-line message: control characters escaped, at most 60 characters
     * (then an ellipsis).
     */
    static String quote(String text) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length() && sb.length() < 60; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || Character.getType(c) == Character.LINE_SEPARATOR
                            || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.length() < 60 || text.length() <= 60 ? sb.toString() : sb + "...";
    }

    /** What a scalar is. */
    enum Kind { INTEGER, FLOAT, BOOLEAN, STRING, NULL }

    /**
     * A scalar: {@code text} is the canonical text of a number (no hex, no underscores), true or
     * false, the string itself, or empty for null.
     */
    record Scalar(Kind kind, String text, int line, int column) implements YamlNode {
        @Override
        public String describe() {
            return switch (kind) {
                case INTEGER, FLOAT -> "the number " + text;
                case BOOLEAN -> text;
                case STRING -> text.isEmpty() ? "an empty value" : "the string '" + quote(text) + "'";
                case NULL -> "an empty value";
            };
        }
    }

    /** A list. */
    record Sequence(List<YamlNode> items, int line, int column) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A mapping, its entries in the file's order. */
    record Mapping(Map<String, Entry> entries, int line, int column) implements YamlNode {
        public Mapping {
            entries = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(entries));
        }

        @Override
        public String describe() {
            return "a mapping";
        }
    }

    /** One entry of a mapping: its key, where the key is, and its value. */
    record Entry(String name, int line, int column, YamlNode value) {
    }
}
