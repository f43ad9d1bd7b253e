package io.fedge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The project {@code fedge new} writes: template resources under {@code new-project/}, listed in
 * its {@code files.txt} with the path each becomes, and filled in by {@link #render}:
 * {@code {{key}}} is replaced by the value of {@code key}. A template naming a key without a
 * value is a bug of fedge and fails loudly. Stateless.
 */
final class ProjectTemplate {
    private static final String ROOT = "new-project/";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Za-z][A-Za-z0-9]*)}}");

    private ProjectTemplate() {
    }

    /**
     * Writes every file of the project into {@code dir}, which must exist.
     *
     * @return the files written, in the order of {@code files.txt}
     * @throws IOException if a file cannot be written
     */
    static List<Path> write(Path dir, Map<String, String> values) throws IOException {
        List<Path> written = new ArrayList<>();
        for (String line : resource("files.txt").split("\n")) {
            String entry = line.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            String[] parts = entry.split("\\s+");
            if (parts.length != 2) {
                throw new IllegalStateException(ROOT + "files.txt: expected 'template path', not '" + entry + "'");
            }
            Path target = dir.resolve(render(parts[1], values));
            Files.createDirectories(target.getParent());
            Files.writeString(target, render(resource(parts[0]), values));
            written.add(target);
        }
        return written;
    }

    /** {@code template} with each {@code {{key}}} replaced by its value. */
    static String render(String template, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalStateException("a template of fedge new names {{" + m.group(1) + "}}, which has no value");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        if (sb.indexOf("{{") >= 0) {
            throw new IllegalStateException("a template of fedge new has a malformed placeholder: "
                    + sb.substring(sb.indexOf("{{"), Math.min(sb.length(), sb.indexOf("{{") + 40)));
        }
        return sb.toString();
    }

    private static String resource(String name) {
        try (InputStream in = ProjectTemplate.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("fedge new: no template " + ROOT + name + " in the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
