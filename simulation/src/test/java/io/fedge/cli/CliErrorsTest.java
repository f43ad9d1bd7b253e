package io.fedge.cli;

import com.sun.net.httpserver.HttpServer;
import io.fedge.comm.signing.ModelSigner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bad input to the fedge CLI gives exactly one line on stderr saying what was wrong (and for
 * usage errors what is allowed), exit code 2 for usage errors and 1 for runtime errors, and no
 * stack trace unless --debug asks for one.
 */
class CliErrorsTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** One line on stderr, naming {@code mentions}, with the exit code, and no stack frame of fedge. */
    private static String assertOneLine(CliRun r, int exit, String mentions) {
        assertEquals(exit, r.exit(), "exit code; stderr: " + r.err());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, "one line, got:\n" + r.err());
        assertTrue(lines[0].startsWith("fedge"), lines[0]);
        assertTrue(lines[0].contains(mentions), "mentions '" + mentions + "': " + lines[0]);
        assertFalse(r.err().contains("at io.fedge"), r.err());
        assertFalse(r.out().contains("Usage:"), "no usage dump: " + r.out());
        return lines[0];
    }

    @Test
    void anUnknownCodecSaysWhichCodecsExist() {
        String line = assertOneLine(run("simulate", "--codec", "foo"), 2, "--codec");
        assertTrue(line.contains("foo") && line.contains("int8"), line);
        assertTrue(line.contains("see fedge simulate --help"), line);
        assertOneLine(run("coordinator", "--codec", "topk:2+int8"), 2, "--codec");
        assertOneLine(run("simulate", "--codec-warmup", "int8,nope"), 2, "--codec-warmup");
        assertOneLine(run("simulate", "--downlink", "fp8"), 2, "--downlink");
    }

    @Test
    void badAttacksSayWhatIsAllowed() {
        String line = assertOneLine(run("simulate", "--attack", "flood"), 2, "--attack 'flood' is not an attack");
        assertTrue(line.contains("examples:COUNT") && line.contains("noread"), line);
        assertOneLine(run("simulate", "--attack", "examples:0"), 2, "--attack");
        assertOneLine(run("simulate", "--attack", "scale:NaN"), 2, "--attack");
        assertOneLine(run("simulate", "--attackers", "2"), 2, "--attackers needs --attack");
        assertOneLine(run("simulate", "--attack", "nan", "--attackers", "10"), 2, "--attackers must be in [1, 9], not 10");
        assertOneLine(run("simulate", "--attack", "nan", "--attackers", "0"), 2, "--attackers");
        assertOneLine(run("simulate", "--attack", "stall", "--secure-aggregation"), 2, "--secure-aggregation");
        assertOneLine(run("simulate", "--stall-timeout", "0"), 2, "--stall-timeout must be in [1, 3600], not 0");
        assertOneLine(run("simulate", "--round-timeout", "100000"), 2, "--round-timeout");
        assertOneLine(run("simulate", "--slow-reader-timeout", "-1"), 2, "--slow-reader-timeout");
    }

    @Test
    void numbersOutOfRangeSayTheRange() {
        assertOneLine(run("coordinator", "--lr", "nan"), 2, "--lr must be finite and > 0, not NaN");
        assertOneLine(run("coordinator", "--lr", "fast"), 2, "--lr");
        String line = assertOneLine(run("coordinator", "--lr", "NaN"), 2, "--lr");
        assertTrue(line.contains("finite") && line.contains("> 0"), line);
        assertOneLine(run("simulate", "--lr", "-0.1"), 2, "--lr");
        assertOneLine(run("simulate", "--batch", "0"), 2, "--batch");
        assertOneLine(run("simulate", "--rounds", "0"), 2, "--rounds");
        assertOneLine(run("simulate", "--clients", "4", "--per-round", "5"), 2, "--per-round");
        assertOneLine(run("coordinator", "--fraction", "1.5"), 2, "--fraction");
        assertOneLine(run("coordinator", "--fraction", "0"), 2, "--fraction");
        assertOneLine(run("coordinator", "--local-epochs", "0"), 2, "--local-epochs");
        assertOneLine(run("coordinator", "--secagg-threshold", "1"), 2, "--secagg-threshold");
        assertOneLine(run("client", "--index", "3", "--clients", "2"), 2, "--index");
        assertOneLine(run("swarm", "--clients", "0"), 2, "--clients");
        assertOneLine(run("bench-train", "--runs", "0"), 2, "--runs");
        assertOneLine(run("export", "--model", "m.fgm", "--prune-keep", "0"), 2, "--prune-keep");
        assertOneLine(run("export", "--model", "m.fgm", "--temperature", "Infinity"), 2, "--temperature");
        assertOneLine(run("edge-client", "--every", "-1"), 2, "--every");
        assertOneLine(run("certs", "init", "--dir", dir.toString(), "--days", "0"), 2, "--days");
    }

    @Test
    void aBadGiveUpBoundIsAUsageError() {
        String line = assertOneLine(run("client", "--index", "0", "--give-up-after", "soon"), 2, "--give-up-after");
        assertTrue(line.contains("10m"), "shows the form: " + line);
        assertOneLine(run("swarm", "--give-up-after", "-5s"), 2, "--give-up-after");
    }

    @Test
    void unknownOptionsAndMissingRequiredOnesAreOneLine() {
        assertOneLine(run("simulate", "--nope"), 2, "--nope");
        assertOneLine(run("export"), 2, "--model");
    }

    @Test
    void aMissingFileSaysWhatIsMissing() {
        Path missing = dir.resolve("no-such-model.fgm");
        String line = assertOneLine(run("export", "--model", missing.toString()), 2, missing.toString());
        assertTrue(line.contains("no such file"), line);
        assertOneLine(run("coordinator", "--resume", missing.toString()), 2, missing.toString());
    }

    @Test
    void aTamperedGlobalModelIsOneLine() throws Exception {
        Path model = dir.resolve("global-model.fgm");
        byte[] junk = new byte[300];
        new Random(1).nextBytes(junk);
        Files.write(model, junk);
        assertOneLine(run("export", "--model", model.toString()), 1, "export");
    }

    @Test
    void aTamperedEdgeModelIsOneLineAndDebugShowsTheTrace() throws Exception {
        byte[] tampered = new byte[500];
        new Random(2).nextBytes(tampered);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/edge-model", exchange -> {
            exchange.getResponseHeaders().add("ETag", "\"v1\"");
            exchange.sendResponseHeaders(200, tampered.length);
            exchange.getResponseBody().write(tampered);
            exchange.close();
        });
        server.start();
        try {
            Path key = dir.resolve("model-signing.pub");
            Files.writeString(key, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
                    ModelSigner.newKeyPair().getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/edge-model";
            String line = assertOneLine(run("edge-client", "--url", url, "--key", key.toString()), 1, "signature");
            assertTrue(line.startsWith("fedge edge-client: "), line);
            CliRun debug = run("edge-client", "--url", url, "--key", key.toString(), "--debug");
            assertEquals(1, debug.exit());
            assertTrue(debug.err().contains("at io.fedge"), "--debug shows the stack trace: " + debug.err());
        } finally {
            server.stop(0);
        }
    }
}
