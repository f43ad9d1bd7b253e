package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A coordinator and three clients as separate processes; the coordinator is killed with
 * {@code kill -9} (SIGKILL: no shutdown hook, no Bye, no flush) after two rounds, and the same
 * command is started again. The federation must end with the configured rounds, its history
 * continuous, and the clients must have reconnected by themselves.
 */
class CoordinatorKillTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FedgeProcesses processes = new FedgeProcesses("1g");

    @AfterEach
    void killAll() {
        processes.close();
    }

    private Process start(Path log, String... args) throws IOException {
        return processes.start(log, args);
    }

    private static int freePort() throws IOException {
        return FedgeProcesses.freePort();
    }

    private static int recordedRounds(Path history) {
        try {
            return Files.exists(history) ? JSON.readTree(history.toFile()).get("rounds").size() : 0;
        } catch (IOException e) {
            return 0; // rewritten atomically, so this is only a file that does not exist yet
        }
    }

    @Test
    void aCoordinatorKilledMidFederationResumesWithTheSameCommand(@TempDir Path tmp) throws Exception {
        int port = freePort();
        Path out = tmp.resolve("coord");
        String[] coordinator = {"coordinator", "--insecure", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--model", "mlp", "--rounds", "5", "--min-clients", "3", "--per-round", "3", "--no-eval",
                "--round-timeout", "120", "--out", out.toString()};
        Process first = start(tmp.resolve("coordinator-1.log"), coordinator);
        List<Process> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(start(tmp.resolve("client-" + i + ".log"), "client", "--insecure", "--coordinator",
                    "127.0.0.1:" + port, "--clients", "12", "--index", Integer.toString(i)));
        }
        Path history = out.resolve("history.json");
        await("two rounds recorded").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(100))
                .until(() -> recordedRounds(history) >= 2);
        first.destroyForcibly(); // SIGKILL
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, first.exitValue(), "killed by SIGKILL");
        int before = recordedRounds(history);

        Process second = start(tmp.resolve("coordinator-2.log"), coordinator);
        assertTrue(second.waitFor(5, TimeUnit.MINUTES), "the restarted coordinator finished");
        String log2 = Files.readString(tmp.resolve("coordinator-2.log"));
        assertEquals(0, second.exitValue(), log2);
        assertTrue(log2.contains(before + " rounds already completed"), log2);

        JsonNode rounds = JSON.readTree(history.toFile()).get("rounds");
        List<Long> numbers = new ArrayList<>();
        int succeeded = 0;
        for (JsonNode r : rounds) {
            numbers.add(r.get("round").asLong());
            succeeded += r.get("succeeded").asBoolean() ? 1 : 0;
        }
        for (int i = 0; i < numbers.size(); i++) {
            assertEquals(i + 1, numbers.get(i), "rounds numbered without gaps or repeats: " + numbers);
        }
        assertEquals(5, succeeded, "five rounds advanced the model: " + numbers);
        assertEquals(5, rounds.get(rounds.size() - 1).get("model_version").asLong());
        for (Process c : clients) {
            assertTrue(c.waitFor(2, TimeUnit.MINUTES), "every client exits when the federation is over");
            assertEquals(0, c.exitValue());
        }
        assertTrue(new File(out.toFile(), "state.db").exists());
    }
}
