package io.fedge.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A federation file ({@code --config FILE}), read and checked against {@link FederationKeys}:
 * every section and key known, every value of its key's type. Each value is held as the text of
 * the option it sets, with where it is in the file. Immutable.
 *
 * @param file     the file as the user named it
 * @param settings the keys the file sets, by path ({@code training.lr}), in the file's order
 */
record FederationFile(Path file, Map<String, Setting> settings) {
    /** The largest file read: a federation file is a few hundred bytes. */
    static final int MAX_BYTES = 1 << 20;

    FederationFile {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /**
     * One key the file sets.
     *
     * @param key        the key
     * @param optionText the option's text for its value (a path resolved against the file's folder)
     * @param line       where the value starts, from 1
     * @param column     where the value starts, from 1
     */
    record Setting(FederationKeys.Key key, String optionText, int line, int column) {
    }

    /** {@code file:line:column}, for messages about {@code setting}. */
    String where(Setting setting) {
        return file + ":" + setting.line() + ":" + setting.column();
    }

    /**
     * Reads and checks {@code file}.
     *
     * @throws IllegalArgumentException in one line naming the file, and where the YAML gives it the
     *                                  line and column, the key and what is allowed
     */
    static FederationFile read(Path file) {
        return parse(file, text(file));
    }

    /**
     * Checks {@code text}, the contents of {@code file} (relative paths in it are resolved against
     * the file's folder).
     *
     * @throws IllegalArgumentException as {@link #read}
     */
    static FederationFile parse(Path file, String text) {
        String source = file.toString();
        YamlNode root = YamlTree.parse(source, text);
        Map<String, Setting> settings = new LinkedHashMap<>();
        if (root == null) {
            return new FederationFile(file, settings);
        }
        if (!(root instanceof YamlNode.Mapping top)) {
            throw refuse(source, root, "a federation file is a mapping of sections (" + String.join(", ",
                    FederationKeys.sections()) + "), not " + root.describe());
        }
        Path folder = file.toAbsolutePath().normalize().getParent();
        for (YamlNode.Entry section : top.entries().values()) {
            List<FederationKeys.Key> keys = FederationKeys.keysOf(section.name());
            if (keys.isEmpty()) {
                throw new IllegalArgumentException(source + ":" + section.line() + ":" + section.column()
                        + ": unknown section '" + YamlNode.quote(section.name()) + "'; the sections are "
                        + String.join(", ", FederationKeys.sections()));
            }
            if (keys.get(0).topLevel()) {
                FederationKeys.Key key = keys.get(0);
                settings.put(key.path(), setting(source, key, section.value(), folder));
                continue;
            }
            if (!(section.value() instanceof YamlNode.Mapping entries)) {
                throw refuse(source, section.value(), section.name() + " must be a mapping of " + names(keys) + ", not "
                        + section.value().describe());
            }
            for (YamlNode.Entry entry : entries.entries().values()) {
                FederationKeys.Key key = keys.stream().filter(k -> k.name().equals(entry.name())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(source + ":" + entry.line() + ":" + entry.column()
                                + ": unknown key " + section.name() + "." + YamlNode.quote(entry.name()) + "; " + section.name()
                                + " takes " + names(keys)));
                settings.put(key.path(), setting(source, key, entry.value(), folder));
            }
        }
        return new FederationFile(file, settings);
    }

    private static Setting setting(String source, FederationKeys.Key key, YamlNode value, Path folder) {
        try {
            return new Setting(key, key.type().optionText(key.path(), value, folder), value.line(), value.column());
        } catch (ValueType.Refused e) {
            throw refuse(source, e.at(), e.getMessage());
        } catch (IllegalArgumentException e) {
            throw refuse(source, value, e.getMessage());
        }
    }

    private static IllegalArgumentException refuse(String source, YamlNode at, String what) {
        return new IllegalArgumentException(source + ":" + at.line() + ":" + at.column() + ": " + what);
    }

    private static String names(List<FederationKeys.Key> keys) {
        List<String> names = new ArrayList<>();
        for (FederationKeys.Key k : keys) {
            names.add(k.name());
        }
        return String.join(", ", names);
    }

    private static String text(Path file) {
        String named = "--config " + file;
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(named + ": is a folder, not a federation file");
        }
        byte[] bytes;
        // read at most one byte past the bound: a device or a growing file cannot fill the heap
        try (java.io.InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(named + ": no such file");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(named + ": permission denied");
        } catch (IOException e) {
            throw new IllegalArgumentException(named + ": cannot read it: " + CliErrors.oneLine(String.valueOf(e.getMessage())));
        }
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException(named + ": more than " + MAX_BYTES + " bytes; a federation file is a few hundred");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(named + ": not UTF-8 text");
        }
    }
}
