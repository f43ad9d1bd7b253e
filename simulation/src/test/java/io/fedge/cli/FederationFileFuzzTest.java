package io.fedge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Federation files in the fuzz campaign (docs/robustness.md): {@value #MUTANTS} seeded mutants of
 * two valid files (bytes flipped, inserted, deleted; lines swapped, repeated, re-indented, cut;
 * YAML syntax spliced in: anchors, aliases, tags, flow brackets, documents, deep nesting, huge
 * numbers, control characters), each read by {@link FederationFile#parse}. Each is either accepted,
 * with every value of its key's type, or refused with one {@link IllegalArgumentException} line
 * naming the file; no other exception escapes. Every {@value #CLI_EVERY}th mutant also goes
 * through {@code fedge simulate --config FILE --print-config}: exit 0 with a file that reads back,
 * or exit 2 with one line on stderr and no stack trace.
 */
class FederationFileFuzzTest {
    private static final int MUTANTS = 10_000;
    private static final int CLI_EVERY = 500;

    private static final String[] SPLICES = {
            "&a ", "*a", "!!binary ", "!!str ", "!!int ", "!!float ", "!!map ", "!!seq ", "? ", "<<: ", "{", "}",
            "[", "]", ",", ": ", "- ", "---\n", "...\n", "\t", "#", "\"", "'", "|\n", ">\n", "%YAML 1.2\n", "~",
            "null", "true", "yes", "0x1F", "0o17", "1_000", "1e999", "-1e-999", ".inf", ".nan",
            "99999999999999999999999999999", "\u0000", "\u0007", "\uFEFF", "\u2028", "\uD83D\uDE00", "\\",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "{a: {b: {c: {d: {e: {f: {g: {h: {i: 1}}}}}}}}}",
            "rounds: 3\n", "training: {lr: 0.1}\n", "strategy: {name: fedadam, eta: 0.01}\n",
    };

    private static final String EXAMPLE;
    private static final String FULL = """
            model: {name: cnn}
            data: {dir: /usr/share/datasets/fashion-mnist, holdout: 500}
            partition: {scheme: dirichlet, alpha: 0.3}
            strategy: {name: fedavgm, momentum: 0.9}
            rounds: 20
            seed: 7
            selection: {clients: 100, per_round: 10, min_clients: 12}
            training: {local_epochs: 2, batch: 64, lr: 0.01}
            codecs: {update: topk:0.01+int8, downlink: fp16, warmup: [fp32, int8]}
            security: {tls: true, certs: pki, secure_aggregation: false}
            timeouts: {round: 90}
            outputs: {dir: runs/x}
            client: {give_up_after: 1h30m}
            """;

    static {
        try {
            EXAMPLE = Files.readString(Path.of("..", "examples", "federation.yaml"));
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @TempDir
    Path dir;

    private final Random rng = new Random(20260512L);

    @Test
    void mutantsAreAcceptedWithTypedValuesOrRefusedInOneLine() throws IOException {
        Path file = dir.resolve("fuzz.yaml");
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < MUTANTS; i++) {
            String text = mutate(rng.nextBoolean() ? EXAMPLE : FULL);
            try {
                FederationFile f = FederationFile.parse(file, text);
                checkTypes(f, text);
                accepted++;
            } catch (IllegalArgumentException e) {
                String m = e.getMessage();
                assertTrue(m != null && !m.isBlank(), "a message for:\n" + text);
                assertEquals(CliErrors.oneLine(m), m.strip(), "one line for:\n" + text);
                assertTrue(m.startsWith(file.toString()) || m.startsWith("--config " + file), m);
                refused++;
            } catch (RuntimeException e) {
                fail("mutant " + i + " escaped with " + e + " for:\n" + text, e);
            }
            if (i % CLI_EVERY == 0) {
                Files.write(file, text.getBytes(StandardCharsets.UTF_8));
                throughTheCli(file, text);
            }
        }
        // the campaign must exercise both sides, or its mutations are too weak or too strong
        assertTrue(accepted > MUTANTS / 20, "accepted " + accepted);
        assertTrue(refused > MUTANTS / 5, "refused " + refused);
    }

    private void throughTheCli(Path file, String text) throws IOException {
        CliRun r = CliRun.of("simulate", "--config", file.toString(), "--print-config");
        assertFalse(r.err().contains("\tat "), "no stack trace for:\n" + text + "\n" + r.err());
        if (r.exit() == 0) {
            Path printed = Files.writeString(dir.resolve("printed.yaml"), r.out());
            CliRun again = CliRun.of("simulate", "--config", printed.toString(), "--print-config");
            assertEquals(0, again.exit(), again.err());
            assertEquals(r.out().substring(r.out().indexOf('\n')), again.out().substring(again.out().indexOf('\n')));
        } else {
            assertEquals(2, r.exit(), "usage error for:\n" + text + "\n" + r.err());
            assertEquals(1, r.err().strip().split("\\R").length, "one line for:\n" + text + "\n" + r.err());
            assertTrue(r.err().startsWith("fedge simulate: "), r.err());
        }
    }

    /** Every accepted value has its key's type, as its option will read it. */
    private static void checkTypes(FederationFile f, String text) {
        for (FederationFile.Setting s : f.settings().values()) {
            String v = s.optionText();
            String what = s.key().path() + " = '" + v + "' in:\n" + text;
            switch (s.key().type()) {
                case INTEGER -> new BigInteger(v);
                case NUMBER -> Double.parseDouble(v);
                case BOOLEAN -> assertTrue(v.equals("true") || v.equals("false"), what);
                case PATH -> assertTrue(Path.of(v).isAbsolute(), what);
                case LIST -> assertFalse(Arrays.asList(v.split(",", -1)).contains(""), what);
                case STRING, DURATION, STRATEGY -> assertTrue(s.line() >= 1 && s.column() >= 1, what);
            }
            assertEquals(s.key(), FederationKeys.KEYS.stream().filter(k -> k.path().equals(s.key().path()))
                    .findFirst().orElseThrow(), what);
        }
    }

    private String mutate(String base) {
        String text = base;
        int edits = 1 + rng.nextInt(4);
        for (int e = 0; e < edits; e++) {
            text = switch (rng.nextInt(8)) {
                case 0 -> flipByte(text);
                case 1 -> splice(text, SPLICES[rng.nextInt(SPLICES.length)]);
                case 2 -> delete(text);
                case 3 -> lines(text, true);
                case 4 -> lines(text, false);
                case 5 -> text.substring(0, rng.nextInt(text.length() + 1));
                case 6 -> reindent(text);
                default -> splice(text, randomValue());
            };
        }
        return text;
    }

    private String flipByte(String text) {
        if (text.isEmpty()) {
            return text;
        }
        char[] c = text.toCharArray();
        int i = rng.nextInt(c.length);
        c[i] = (char) (c[i] ^ (1 << rng.nextInt(7)));
        return new String(c);
    }

    private String splice(String text, String piece) {
        int at = rng.nextInt(text.length() + 1);
        return text.substring(0, at) + piece + text.substring(at);
    }

    private String delete(String text) {
        if (text.isEmpty()) {
            return text;
        }
        int at = rng.nextInt(text.length());
        int len = 1 + rng.nextInt(Math.min(20, text.length() - at));
        return text.substring(0, at) + text.substring(at + len);
    }

    /** Swaps two lines, or repeats one (a duplicate key or section). */
    private String lines(String text, boolean swap) {
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        int a = rng.nextInt(lines.size());
        int b = rng.nextInt(lines.size());
        if (swap) {
            String t = lines.get(a);
            lines.set(a, lines.get(b));
            lines.set(b, t);
        } else {
            lines.add(b, lines.get(a));
        }
        return String.join("\n", lines);
    }

    private String reindent(String text) {
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        int a = rng.nextInt(lines.size());
        String l = lines.get(a);
        lines.set(a, rng.nextBoolean() ? "  " + l : l.stripLeading());
        return String.join("\n", lines);
    }

    private String randomValue() {
        return switch (rng.nextInt(6)) {
            case 0 -> Long.toString(rng.nextLong());
            case 1 -> Double.toString(rng.nextGaussian() * Math.pow(10, rng.nextInt(40) - 20));
            case 2 -> "\"" + "x".repeat(rng.nextInt(300)) + "\"";
            case 3 -> "[" + "a, ".repeat(rng.nextInt(50)) + "b]";
            case 4 -> "\n" + FederationKeys.sections().get(rng.nextInt(FederationKeys.sections().size())) + ": ";
            default -> "\n  " + FederationKeys.KEYS.get(rng.nextInt(FederationKeys.KEYS.size())).name() + ": ";
        };
    }
}
