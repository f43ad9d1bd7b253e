package io.fedge.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one YAML document into {@link YamlNode}s that remember where each value and key starts,
 * with Jackson's streaming YAML parser (the tree model forgets locations). A federation file is
 * small and flat, so the tree is bounded: at most {@value #MAX_DEPTH} levels and
 * {@value #MAX_NODES} values. Refused: malformed YAML, a second document, duplicate keys, aliases
 * ({@code *name}) and binary values, each with its line and column. Stateless.
 */
final class YamlTree {
    static final int MAX_DEPTH = 8;
    static final int MAX_NODES = 10_000;

    private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

    private YamlTree() {
    }

    /**
     * The document in {@code text}, or null if it holds none (empty, or only comments).
     *
     * @param source how messages name the text, such as the file's path
     * @throws IllegalArgumentException {@code source:line:column: what}, in one line
     */
    static YamlNode parse(String source, String text) {
        try (YAMLParser p = (YAMLParser) FACTORY.createParser(text)) {
            Reader reader = new Reader(source, p);
            JsonToken first = p.nextToken();
            if (first == null) {
                return null;
            }
            YamlNode root = reader.value(first, 1);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw reader.error(p.currentTokenLocation(), "a federation file holds one YAML document, found a second");
            }
            return root;
        } catch (Refusal e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw malformed(source, e);
        } catch (IOException | RuntimeException e) {
            // snakeyaml's own exceptions, should one escape Jackson's wrapping
            throw new IllegalArgumentException(source + ": malformed YAML: " + CliErrors.oneLine(String.valueOf(e.getMessage())));
        }
    }

    private static IllegalArgumentException malformed(String source, JsonProcessingException e) {
        // snakeyaml's message spans lines with a snippet of the text; its problem and mark say it in one
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
            String problem = m.getProblem() != null ? m.getProblem() : m.getContext();
            return new IllegalArgumentException(source + ":" + (m.getProblemMark().getLine() + 1) + ":"
                    + (m.getProblemMark().getColumn() + 1) + ": malformed YAML: " + CliErrors.oneLine(problem));
        }
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? source : source + ":" + at.getLineNr() + ":" + at.getColumnNr();
        return new IllegalArgumentException(where + ": malformed YAML: " + CliErrors.oneLine(e.getOriginalMessage()));
    }

    /** One pass over the tokens. */
    private static final class Reader {
        private final String source;
        private final YAMLParser p;
        private int nodes;

        Reader(String source, YAMLParser p) {
            this.source = source;
            this.p = p;
        }

        /** The value whose first token, {@code token}, the parser is on; leaves the parser on its last token. */
        YamlNode value(JsonToken token, int depth) throws IOException {
            JsonLocation at = p.currentTokenLocation();
            if (token == null) {
                throw error(at, "the file ends inside a value");
            }
            if (++nodes > MAX_NODES) {
                throw error(at, "more than " + MAX_NODES + " values: a federation file is a few dozen");
            }
            if (depth > MAX_DEPTH) {
                throw error(at, "nested deeper than " + MAX_DEPTH + " levels");
            }
            return switch (token) {
                case START_OBJECT -> mapping(at, depth);
                case START_ARRAY -> sequence(at, depth);
                case VALUE_NUMBER_INT -> scalar(YamlNode.Kind.INTEGER, p.getNumberValue().toString(), at);
                case VALUE_NUMBER_FLOAT -> scalar(YamlNode.Kind.FLOAT, Double.toString(p.getDoubleValue()), at);
                case VALUE_TRUE -> scalar(YamlNode.Kind.BOOLEAN, "true", at);
                case VALUE_FALSE -> scalar(YamlNode.Kind.BOOLEAN, "false", at);
                case VALUE_NULL -> scalar(YamlNode.Kind.NULL, "", at);
                case VALUE_STRING -> {
                    if (p.isCurrentAlias()) {
                        throw error(at, "aliases (*" + YamlNode.quote(p.getText()) + ") are not supported in a federation file");
                    }
                    yield scalar(YamlNode.Kind.STRING, p.getText(), at);
                }
                default -> throw error(at, "unsupported YAML value (" + token + ")");
            };
        }

        private YamlNode mapping(JsonLocation at, int depth) throws IOException {
            Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) {
                    throw error(p.currentTokenLocation(), "expected a key, found " + t);
                }
                String name = p.currentName();
                JsonLocation keyAt = p.currentTokenLocation();
                YamlNode.Entry earlier = entries.get(name);
                if (earlier != null) {
                    throw error(keyAt, "duplicate key '" + YamlNode.quote(name) + "' (first at " + earlier.line() + ":" + earlier.column() + ")");
                }
                YamlNode value = value(p.nextToken(), depth + 1);
                entries.put(name, new YamlNode.Entry(name, keyAt.getLineNr(), keyAt.getColumnNr(), value));
            }
            return new YamlNode.Mapping(entries, at.getLineNr(), at.getColumnNr());
        }

        private YamlNode sequence(JsonLocation at, int depth) throws IOException {
            List<YamlNode> items = new ArrayList<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                items.add(value(t, depth + 1));
            }
            return new YamlNode.Sequence(items, at.getLineNr(), at.getColumnNr());
        }

        private static YamlNode scalar(YamlNode.Kind kind, String text, JsonLocation at) {
            return new YamlNode.Scalar(kind, text, at.getLineNr(), at.getColumnNr());
        }

        Refusal error(JsonLocation at, String what) {
            return new Refusal(source + ":" + at.getLineNr() + ":" + at.getColumnNr() + ": " + what);
        }
    }

    /** What this reader refuses, its message already complete. */
    private static final class Refusal extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Refusal(String message) {
            super(message);
        }
    }
}
