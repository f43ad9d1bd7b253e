package io.fedge.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The table of federation-file keys stays true to the commands: every option it names exists,
 * every option of simulate, coordinator and client is either in it or listed as operational (a
 * new option needs a row or a word saying why not), no option is set by two keys, and
 * docs/config.md documents every key.
 */
class FederationKeysTest {
    /** Options every command has that are about the CLI itself, not a federation. */
    private static final Set<String> CLI_OPTIONS = Set.of("--help", "--version", "--debug", "--config", "--print-config");

    @Test
    void everyOptionIsInTheTableOrOperational() {
        CommandLine cli = Fedge.commandLine();
        for (String command : FederationKeys.COMMANDS) {
            List<String> missing = new ArrayList<>();
            for (OptionSpec o : cli.getSubcommands().get(command).getCommandSpec().options()) {
                String name = o.longestName();
                if (!CLI_OPTIONS.contains(name) && FederationKeys.forOption(command, name).isEmpty()
                        && !FederationKeys.OPERATIONAL.get(command).contains(name)) {
                    missing.add(name);
                }
            }
            assertEquals(List.of(), missing, "fedge " + command + ": options neither in FederationKeys.KEYS nor "
                    + "in FederationKeys.OPERATIONAL");
        }
    }

    @Test
    void everyOptionTheTableNamesExistsAndIsSetOnce() {
        CommandLine cli = Fedge.commandLine();
        for (String command : FederationKeys.COMMANDS) {
            Set<String> seen = new HashSet<>();
            for (FederationKeys.Key key : FederationKeys.KEYS) {
                FederationKeys.Target t = key.targets().get(command);
                if (t == null) {
                    continue;
                }
                OptionSpec o = cli.getSubcommands().get(command).getCommandSpec().findOption(t.option());
                assertNotNull(o, key.path() + ": fedge " + command + " has no " + t.option());
                assertEquals(t.option(), o.longestName(), key.path() + ": the table names options by their longest name");
                assertTrue(seen.add(t.option()), "fedge " + command + " " + t.option() + " is set by two keys");
                if (key.type() == ValueType.LIST) {
                    assertEquals(List.of(), o.initialValue(), key.path() + ": [] in a file keeps the default, "
                            + "so it must be the empty list");
                }
                boolean bool = o.type() == boolean.class || o.type() == Boolean.class;
                assertEquals(key.type() == ValueType.BOOLEAN, bool, key.path() + " and " + t.option() + " agree on boolean");
            }
            for (String operational : FederationKeys.OPERATIONAL.get(command)) {
                assertNotNull(cli.getSubcommands().get(command).getCommandSpec().findOption(operational),
                        "fedge " + command + " has no " + operational);
            }
        }
    }

    @Test
    void everyKeySetsSomething() {
        for (FederationKeys.Key key : FederationKeys.KEYS) {
            assertTrue(!key.targets().isEmpty(), key.path());
        }
    }

    @Test
    void theDocumentationListsEveryKeyAndEveryOperationalOption() throws IOException {
        Path doc = Path.of("..", "docs", "config.md");
        String text = Files.readString(doc);
        for (FederationKeys.Key key : FederationKeys.KEYS) {
            assertTrue(text.contains("`" + key.path() + "`"), "docs/config.md documents `" + key.path() + "`");
        }
        for (List<String> options : FederationKeys.OPERATIONAL.values()) {
            for (String o : options) {
                assertTrue(text.contains("`" + o + "`"), "docs/config.md says why `" + o + "` is not in a file");
            }
        }
    }
}
