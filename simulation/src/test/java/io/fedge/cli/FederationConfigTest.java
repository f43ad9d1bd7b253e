package io.fedge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --config FILE}: a federation file's values reach the three commands' options, flags
 * override them, and every kind of bad file is one line naming the file, the place, the key and
 * what is allowed. Commands are parsed, never run: {@code --print-config} stops after the checks.
 */
class FederationConfigTest {
    @TempDir
    Path dir;

    private static final String FULL = """
            model: {name: cnn}
            data: {dir: /usr/share/datasets/fashion-mnist, holdout: 500, train_limit: 6000}
            partition: {scheme: dirichlet, alpha: 0.3}
            strategy: {name: fedavgm, momentum: 0.9, eta: 0.5}
            rounds: 20
            seed: 7
            selection: {clients: 100, per_round: 10, min_clients: 12, fraction: 0.5, min_accepted: 4, over_select: 0.2}
            training: {local_epochs: 2, batch: 64, lr: 0.01}
            codecs: {update: topk:0.01+int8, downlink: fp16, warmup: [fp32, int8], downlink_delta: 4}
            security: {tls: true, certs: pki, secure_aggregation: false, secagg_threshold: 0.6, secagg_neighbours: 8, secagg_clip: 2.5}
            robustness: {clip: "fixed:5", max_examples: 50000, max_weight_share: 0.25}
            timeouts: {round: 90, stall: 20, slow_reader: 40}
            evaluation: {enabled: false, test_limit: 1000}
            attack: {kind: "scale:-10", attackers: 2}
            edge: {every: 5, student: mlp-small, transfer: 2000, port: 8081}
            outputs: {dir: runs/x}
            coordinator: {host: 127.0.0.1, port: 7171, address: "coord.example:7171"}
            client: {give_up_after: 1h30m}
            """;

    private Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    /** The CLI after parsing {@code args}, not run. */
    private static CommandLine parsed(String... args) {
        CommandLine cli = Fedge.commandLine();
        cli.parseArgs(args);
        return cli;
    }

    private static <T> T command(CommandLine cli, String name, Class<T> type) {
        return type.cast(cli.getSubcommands().get(name).getCommand());
    }

    /** One line on stderr containing every one of {@code parts}, exit 2, no stack trace. */
    private static String refused(CliRun r, String... parts) {
        assertEquals(2, r.exit(), "exit code; stderr: " + r.err());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, "one line, got:\n" + r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        for (String p : parts) {
            assertTrue(lines[0].contains(p), "mentions '" + p + "': " + lines[0]);
        }
        assertEquals("", r.out(), "nothing printed");
        return lines[0];
    }

    @Test
    void aFileSetsEveryOptionOfSimulate() throws IOException {
        Path f = file("fed.yaml", FULL);
        SimulateCommand s = command(parsed("simulate", "--config", f.toString()), "simulate", SimulateCommand.class);
        assertEquals("cnn", s.model.model);
        assertEquals(Path.of("/usr/share/datasets/fashion-mnist"), s.data.data);
        assertEquals(500, s.holdout);
        assertEquals(6000, s.trainLimit);
        assertEquals("dirichlet", s.partition);
        assertEquals(0.3, s.alpha);
        assertEquals("fedavgm:momentum=0.9,eta=0.5", s.strategy.strategy);
        assertEquals(20, s.rounds);
        assertEquals(7L, s.seed);
        assertEquals(100, s.clients);
        assertEquals(10, s.perRound);
        assertEquals(2, s.localEpochs);
        assertEquals(64, s.batch);
        assertEquals(0.01, s.lr);
        assertEquals("topk:0.01+int8", s.compression.codec);
        assertEquals("fp16", s.compression.downlink);
        assertEquals(List.of("fp32", "int8"), s.compression.warmup);
        assertEquals(4, s.compression.deltaVersions);
        assertTrue(s.tls);
        assertFalse(s.secureAggregation);
        assertEquals(90, s.attacks.roundTimeoutSeconds);
        assertEquals(20, s.attacks.stallTimeoutSeconds);
        assertEquals(40, s.attacks.slowReaderTimeoutSeconds);
        assertEquals(1000, s.testLimit);
        assertEquals("scale:-10", s.attacks.attack);
        assertEquals(2, s.attacks.attackers);
        assertEquals(dir.resolve("runs/x"), s.out, "relative paths are relative to the file's folder");
        assertEquals(Runtime.getRuntime().availableProcessors(), s.parallel, "operational options keep their default");
    }

    @Test
    void theSameFileDrivesTheCoordinatorAndTheClient() throws IOException {
        Path f = file("fed.yaml", FULL);
        CoordinatorCommand c = command(parsed("coordinator", "--config", f.toString()), "coordinator",
                CoordinatorCommand.class);
        assertEquals("cnn", c.model.model);
        assertEquals("127.0.0.1", c.host);
        assertEquals(7171, c.port);
        assertEquals(20, c.rounds);
        assertEquals(12, c.minClients);
        assertEquals(10, c.perRound);
        assertEquals(4, c.minAccepted);
        assertEquals(0.2, c.overSelect);
        assertEquals(0.5, c.fraction);
        assertEquals("fixed:5", c.clip);
        assertEquals(50_000L, c.maxExamples);
        assertEquals(0.25, c.maxWeightShare);
        assertEquals(2, c.localEpochs);
        assertEquals(64, c.batch);
        assertEquals(0.01, c.lr);
        assertEquals(90L, c.roundTimeoutSeconds);
        assertEquals(7L, c.seed);
        assertTrue(c.noEval, "evaluation.enabled: false is --no-eval");
        assertEquals(dir.resolve("runs/x"), c.out);
        assertFalse(c.security.insecure, "security.tls: true is the opposite of --insecure");
        assertEquals(dir.resolve("pki"), c.security.certs);
        assertEquals("topk:0.01+int8", c.compression.codec);
        assertEquals(List.of("fp32", "int8"), c.compression.warmup);
        assertEquals("fedavgm:momentum=0.9,eta=0.5", c.strategyOption.strategy);
        assertEquals(0.6, c.secAggThreshold);
        assertEquals(8, c.secAggNeighbours);
        assertEquals(2.5, c.secAggClip);
        assertEquals(5, c.edgeEvery);
        assertEquals("mlp-small", c.edgeStudent);
        assertEquals(2000, c.edgeTransfer);
        assertEquals(8081, c.edgePort);

        ClientCommand k = command(parsed("client", "--config", f.toString(), "--index", "3"), "client", ClientCommand.class);
        assertEquals("coord.example:7171", k.coordinator.toString());
        assertEquals(100, k.clients, "selection.clients is the number of partitions a client cuts");
        assertEquals("dirichlet", k.partition);
        assertEquals(0.3, k.alpha);
        assertEquals(7L, k.seed);
        assertEquals(Path.of("/usr/share/datasets/fashion-mnist"), k.data.data);
        assertFalse(k.security.insecure);
        assertEquals(dir.resolve("pki"), k.security.certs);
        assertEquals(Duration.ofMinutes(90), k.giveUp.giveUpAfter);
        assertEquals(3, k.index);
        assertNull(k.id, "a client's identity is not in the file");
    }

    @Test
    void flagsOverrideTheFile() throws IOException {
        Path f = file("fed.yaml", FULL);
        SimulateCommand s = command(parsed("simulate", "--config", f.toString(), "--lr", "0.2", "--rounds", "3",
                "--tls=false", "--strategy", "fedavg", "--codec-warmup", "int4", "--out", "elsewhere"),
                "simulate", SimulateCommand.class);
        assertEquals(0.2, s.lr);
        assertEquals(3, s.rounds);
        assertFalse(s.tls);
        assertEquals("fedavg", s.strategy.strategy);
        assertEquals(List.of("int4"), s.compression.warmup);
        assertEquals(Path.of("elsewhere"), s.out, "a path on the command line is relative to the working folder");
        assertEquals(64, s.batch, "what the command line does not give still comes from the file");

        CoordinatorCommand c = command(parsed("coordinator", "--config", f.toString(), "--insecure", "--no-eval=false",
                "--port", "9000"), "coordinator", CoordinatorCommand.class);
        assertTrue(c.security.insecure);
        assertFalse(c.noEval);
        assertEquals(9000, c.port);
        assertEquals("127.0.0.1", c.host);
    }

    @Test
    void aBareBooleanFlagMeansTrueWhateverTheFileSays() throws IOException {
        Path on = file("on.yaml", "security: {tls: true, secure_aggregation: true}\n");
        Path off = file("off.yaml", "security: {tls: false}\n");
        SimulateCommand s = command(parsed("simulate", "--config", on.toString(), "--tls", "--rounds", "4"),
                "simulate", SimulateCommand.class);
        assertTrue(s.tls, "picocli would flip a default of true; the flag means true");
        assertTrue(s.secureAggregation);
        assertEquals(4, s.rounds, "--tls took no value from the next argument");
        s = command(parsed("simulate", "--config", on.toString(), "--tls", "false"), "simulate", SimulateCommand.class);
        assertFalse(s.tls);
        ClientCommand k = command(parsed("client", "--config", off.toString(), "--index", "0"), "client", ClientCommand.class);
        assertTrue(k.security.insecure);
        k = command(parsed("client", "--config", off.toString(), "--index", "0", "--insecure=false"), "client",
                ClientCommand.class);
        assertFalse(k.security.insecure);
        s = command(parsed("simulate", "--tls"), "simulate", SimulateCommand.class);
        assertTrue(s.tls, "without a file too");
        s = command(parsed("simulate"), "simulate", SimulateCommand.class);
        assertFalse(s.tls);
    }

    @Test
    void withoutAFileNothingChanges() {
        SimulateCommand s = command(parsed("simulate"), "simulate", SimulateCommand.class);
        assertEquals("mlp", s.model.model);
        assertEquals(10, s.clients);
        assertNull(s.perRound);
        assertEquals(Path.of("runs", "latest"), s.out);
        assertEquals(0.05, s.lr);
        assertEquals("fedavg", s.strategy.strategy);
    }

    @Test
    void aKeyForAnotherCommandIsIgnored() throws IOException {
        Path f = file("fed.yaml", "selection: {clients: 40}\nattack: {kind: nan}\nmodel: {name: cnn}\n");
        CoordinatorCommand c = command(parsed("coordinator", "--config", f.toString()), "coordinator",
                CoordinatorCommand.class);
        assertEquals(2, c.minClients, "selection.clients is not the coordinator's --min-clients");
        assertEquals("cnn", c.model.model);
        ClientCommand k = command(parsed("client", "--config", f.toString(), "--index", "39"), "client", ClientCommand.class);
        assertEquals(40, k.clients);
        CliRun r = CliRun.of("client", "--config", f.toString(), "--index", "39", "--print-config");
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.out().contains("model"), "the client takes no model key: " + r.out());
    }

    @Test
    void unknownSectionsAndKeysListWhatIsAllowed() throws IOException {
        Path f = file("fed.yaml", "rounds: 3\ntrainig:\n  lr: 0.1\n");
        String line = refused(CliRun.of("simulate", "--config", f.toString()), f + ":2:1: unknown section 'trainig'",
                "the sections are model, data, partition, strategy, rounds", "training", "client");
        assertTrue(line.startsWith("fedge simulate: "), line);
        f = file("fed.yaml", "training:\n  batch: 8\n  learning_rate: 0.1\n");
        refused(CliRun.of("coordinator", "--config", f.toString()),
                f + ":3:3: unknown key training.learning_rate; training takes local_epochs, batch, lr");
        f = file("fed.yaml", "selection: {nodes: 4}\n");
        refused(CliRun.of("client", "--config", f.toString(), "--index", "0"), f + ":1:13: unknown key selection.nodes;",
                "clients, per_round, min_clients, fraction, min_accepted, over_select");
    }

    @Test
    void wrongTypesNameTheKeyAndTheType() throws IOException {
        String[][] cases = {
                {"training:\n  lr: fast\n", "2:7: training.lr must be a number, not the string 'fast'"},
                {"rounds: 2.5\n", "1:9: rounds must be an integer, not the number 2.5"},
                {"rounds: [1, 2]\n", "1:9: rounds must be an integer, not a list"},
                {"security: {tls: yes please}\n", "1:17: security.tls must be true or false, not the string 'yes please'"},
                {"model: {name: 3}\n", "1:15: model.name must be a string, not the number 3"},
                {"training: 3\n", "1:11: training must be a mapping of local_epochs, batch, lr, not the number 3"},
                {"codecs: {warmup: int8}\n", "1:18: codecs.warmup must be a list of strings, not the string 'int8'"},
                {"codecs: {warmup: [int8, 4]}\n", "1:25: codecs.warmup[1] must be a string, not the number 4"},
                {"codecs: {warmup: ['a,b']}\n", "codecs.warmup[0] must be a non-empty string without commas"},
                {"training:\n  lr:\nrounds: 2\n", "training.lr must be a number, not an empty value"},
                {"training: {lr: }\n", "1:15: training.lr must be a number, not an empty value"},
                {"training: {lr: null}\n", "1:16: training.lr must be a number, not an empty value"},
                {"strategy: {momentum: 0.9}\n", "strategy needs a name"},
                {"strategy: {name: fedavgm, momentum: [1]}\n", "strategy.momentum must be a number, true, false or a string"},
                {"strategy: 5\n", "1:11: strategy must be a strategy"},
                {"selection: {clients: ten}\n", "selection.clients must be an integer, not the string 'ten'"},
                {"client: {give_up_after: 600}\n", "client.give_up_after must be a duration such as 30s"},
        };
        for (String[] c : cases) {
            Path f = file("fed.yaml", c[0]);
            // a wrong type is wrong for every command, including those that ignore the key
            refused(CliRun.of("coordinator", "--config", f.toString()), f + ":", c[1]);
        }
    }

    @Test
    void badValuesAreCaughtByTheOptionsOwnChecksAndSayWhereTheyAre() throws IOException {
        Path f = file("fed.yaml", "rounds: 5\ntraining:\n  lr: -0.1\n");
        refused(CliRun.of("simulate", "--config", f.toString()),
                f + ":3:7: training.lr: --lr must be finite and > 0, not -0.1");
        f = file("fed.yaml", "rounds: 3000000000\n");
        refused(CliRun.of("simulate", "--config", f.toString()), f + ":1:9: rounds: Invalid value for option '--rounds'",
                "'3000000000' is not an int");
        f = file("fed.yaml", "model: {name: nosuchnet}\n");
        refused(CliRun.of("coordinator", "--config", f.toString()), f + ":1:15: model.name: --model must be one of mlp, cnn");
        f = file("fed.yaml", "codecs: {update: int3}\n");
        refused(CliRun.of("simulate", "--config", f.toString()), f + ":1:18: codecs.update: --codec 'int3' is not a codec");
        f = file("fed.yaml", "strategy: {name: fedadam, foo: 1}\n");
        refused(CliRun.of("simulate", "--config", f.toString()), f + ":1:11: strategy: strategy fedadam has no parameter 'foo'");
        f = file("fed.yaml", "client: {give_up_after: 10 minutes}\n");
        refused(CliRun.of("client", "--config", f.toString(), "--index", "0"),
                f + ":1:25: client.give_up_after: Invalid value for option '--give-up-after'", "10m");
        f = file("fed.yaml", "attack: {attackers: 2}\n");
        refused(CliRun.of("simulate", "--config", f.toString()), "attack.attackers: --attackers needs --attack");
        f = file("fed.yaml", "selection: {clients: 4, per_round: 5}\n");
        refused(CliRun.of("simulate", "--config", f.toString()), f + ":1:36: selection.per_round: --per-round must be in [1, 4]");
        // a bad value given on the command line is not blamed on the file
        f = file("fed.yaml", "training: {lr: 0.1}\n");
        String line = refused(CliRun.of("simulate", "--config", f.toString(), "--lr", "-1"), "--lr must be finite");
        assertFalse(line.contains("fed.yaml"), line);
    }

    @Test
    void unreadableFilesAreOneLine() throws IOException {
        Path missing = dir.resolve("nope.yaml");
        refused(CliRun.of("simulate", "--config", missing.toString()), "--config " + missing + ": no such file");
        refused(CliRun.of("coordinator", "--config", dir.toString()), "--config " + dir + ": is a folder");
        Path big = dir.resolve("big.yaml");
        byte[] bytes = new byte[FederationFile.MAX_BYTES + 1];
        Arrays.fill(bytes, (byte) '#');
        Files.write(big, bytes);
        refused(CliRun.of("simulate", "--config", big.toString()), "--config " + big + ": more than 1048576 bytes");
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, "model: {name: caf\u00e9}\n".getBytes(StandardCharsets.ISO_8859_1));
        refused(CliRun.of("simulate", "--config", latin1.toString()), "--config " + latin1 + ": not UTF-8 text");
    }

    @Test
    void malformedYamlSaysTheLine() throws IOException {
        String[][] cases = {
                {"rounds: 3\ntraining: {lr: 0.1\n", ":3:1: malformed YAML"},
                {"rounds: 3\n  seed: 1\n", ":2:7: malformed YAML: mapping values are not allowed here"},
                {"training:\n  lr: 0.1\n  lr: 0.2\n", ":3:3: duplicate key 'lr' (first at 2:3)"},
                {"rounds: &r 3\nseed: *r\n", ":2:7: aliases (*r) are not supported"},
                {"rounds: 3\n---\nrounds: 4\n", ":3:1: a federation file holds one YAML document, found a second"},
                {"- rounds: 3\n", ":1:1: a federation file is a mapping of sections"},
                {"rounds: !!binary aGVsbG8=\n", ":1:9: unsupported YAML value"},
                {"data: {dir: [[[[[[[[[[x]]]]]]]]]]}\n", ":1:19: nested deeper than 8 levels"},
        };
        for (String[] c : cases) {
            Path f = file("fed.yaml", c[0]);
            refused(CliRun.of("simulate", "--config", f.toString()), f + c[1]);
        }
    }

    @Test
    void anEmptyFileSetsNothing() throws IOException {
        Path f = file("empty.yaml", "# nothing yet\n");
        CliRun withFile = CliRun.of("simulate", "--config", f.toString(), "--print-config");
        CliRun without = CliRun.of("simulate", "--print-config");
        assertEquals(0, withFile.exit(), withFile.err());
        assertEquals(body(without.out()), body(withFile.out()));
    }

    @Test
    void valuesAreTakenLiterally() throws IOException {
        Path f = file("fed.yaml", "outputs: {dir: \"/tmp/a$${x}/${java.home}/$HOME\"}\n");
        SimulateCommand s = command(parsed("simulate", "--config", f.toString()), "simulate", SimulateCommand.class);
        assertEquals(Path.of("/tmp/a$${x}/${java.home}/$HOME"), s.out);
    }

    @Test
    void printConfigGivesAFileThatGivesTheSameConfigurationBack() throws IOException {
        Path f = file("fed.yaml", FULL);
        for (String command : FederationKeys.COMMANDS) {
            List<String> args = new ArrayList<>(List.of(command, "--config", f.toString(), "--print-config"));
            if (command.equals("client")) {
                args.addAll(List.of("--index", "3"));
            } else {
                args.addAll(List.of("--lr", "0.02", "--strategy", "fedadam:eta=0.003",
                        command.equals("simulate") ? "--tls=false" : "--insecure"));
            }
            CliRun first = CliRun.of(args.toArray(String[]::new));
            assertEquals(0, first.exit(), first.err());
            assertTrue(first.out().startsWith("# fedge " + command + ": the effective configuration"), first.out());
            Path printed = Files.writeString(dir.resolve(command + "-printed.yaml"), first.out());
            List<String> again = new ArrayList<>(List.of(command, "--config", printed.toString(), "--print-config"));
            if (command.equals("client")) {
                again.addAll(List.of("--index", "3"));
            }
            CliRun second = CliRun.of(again.toArray(String[]::new));
            assertEquals(0, second.exit(), second.err());
            assertEquals(body(first.out()), body(second.out()), command);
        }
        CliRun sim = CliRun.of("simulate", "--config", f.toString(), "--print-config", "--lr", "0.02", "--tls=false",
                "--strategy", "fedadam:eta=0.003");
        String out = sim.out();
        assertTrue(out.contains("  lr: 0.02\n"), out);
        assertTrue(out.contains("  batch: 64\n"), out);
        assertTrue(out.contains("strategy:\n  name: fedadam\n  eta: 0.003\n"), out);
        assertTrue(out.contains("security:\n  tls: false\n"), out);
        assertTrue(out.contains("  dir: " + dir.resolve("runs/x") + "\n"), out);
        assertTrue(out.contains("  warmup:\n  - fp32\n  - int8\n"), out);
        assertFalse(out.contains("parallel"), "operational options are not part of the file");
        CliRun client = CliRun.of("client", "--config", f.toString(), "--print-config", "--index", "0");
        assertTrue(client.out().contains("client:\n  give_up_after: 1h30m\n"), client.out());
        assertTrue(client.out().contains("coordinator:\n  address: coord.example:7171\n"), client.out());
    }

    @Test
    void printConfigRunsTheChecksFirst() {
        refused(CliRun.of("simulate", "--print-config", "--lr", "0"), "--lr must be finite and > 0");
    }

    @Test
    void helpShowsTheFilesValuesAsDefaults() throws IOException {
        Path f = file("fed.yaml", "training: {lr: 0.0125}\n");
        CliRun r = CliRun.of("simulate", "--config", f.toString(), "--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("default 0.0125"), r.out());
    }

    /** The YAML without its first line, which names the file. */
    private static String body(String printed) {
        return printed.substring(printed.indexOf('\n') + 1);
    }
}
