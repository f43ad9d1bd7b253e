package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code fedge simulate --engine spark}: its options, their bounds, and a run on local[2]. */
class SparkSimulateCommandTest {
    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Fedge.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new String[] {String.valueOf(exit), out.toString(), err.toString()};
    }

    @Test
    void runsAFederationOnLocalSpark(@TempDir Path out) throws Exception {
        String[] r = run("simulate", "--engine", "spark", "--master", "local[2]", "--clients", "4", "--rounds", "2",
                "--train-limit", "2000", "--test-limit", "500", "--no-progress", "--engine-option",
                "spark.task.maxFailures=1", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        JsonNode history = new ObjectMapper().readTree(out.resolve("history.json").toFile());
        JsonNode rounds = history.get("rounds");
        assertEquals(2, rounds.size(), history.toString());
        for (JsonNode round : rounds) {
            assertEquals(4, round.get("clients").asInt(), round.toString());
        }
    }

    @Test
    void wrongEngineOptionsFailInOneLine() {
        String[][] cases = {
                {"--engine", "ray"}, {"no engine 'ray' on the class path; there are: in-process, spark"},
                {"--master", "local[2]"}, {"--master goes with --engine spark"},
                {"--engine", "spark", "--parallel", "2"}, {"--parallel is the in-process engine's"},
                {"--engine", "spark", "--master", "yarn"}, {"spark://HOST:PORT"},
                {"--engine", "spark", "--engine-option", "cores=4"}, {"spark.* settings: cores"},
                {"--engine", "spark", "--master", "local", "--engine-option", "master=local[2]"}, {"give the master once"},
                {"--engine", "spark", "--attack", "noread", "--attackers", "1"}, {"simulate it in process"},
                {"--engine", "in-process", "--engine-option", "spark.x=1"}, {"takes no --engine-option"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            String[] args = new String[cases[i].length + 1];
            args[0] = "simulate";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            String[] r = run(args);
            assertEquals("2", r[0], String.join(" ", args) + ": " + r[2]);
            assertTrue(r[2].contains(cases[i + 1][0]), String.join(" ", args) + ": " + r[2]);
            assertEquals(1, r[2].strip().lines().count(), r[2]);
        }
    }
}
