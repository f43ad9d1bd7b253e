package io.fedge.cli;

import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fedge simulate} as a separate process, killed with SIGKILL once two rounds are durable
 * and started again with the same command: it resumes, and ends with the model of an
 * uninterrupted run of the same command, bit for bit.
 */
class SimulationKillTest {
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process simulate(Path out, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dorg.bytedeco.javacpp.nopointergc=true", "-cp", System.getProperty("java.class.path"),
                Fedge.class.getName(), "simulate", "--rounds", "5", "--clients", "4", "--per-round", "4",
                "--train-limit", "4000", "--test-limit", "500", "--seed", "3", "--out", out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    @Test
    void aSimulationKilledMidwayResumesWithTheSameCommandAndEndsBitForBitAsAnUninterruptedOne(@TempDir Path tmp)
            throws Exception {
        Path whole = tmp.resolve("whole");
        Process uninterrupted = simulate(whole, tmp.resolve("whole.log"));
        assertTrue(uninterrupted.waitFor(4, TimeUnit.MINUTES));
        assertEquals(0, uninterrupted.exitValue(), Files.readString(tmp.resolve("whole.log")));

        Path cut = tmp.resolve("cut");
        Process first = simulate(cut, tmp.resolve("cut-1.log"));
        Path secondModel = cut.resolve("state").resolve("coordinator").resolve("models").resolve("model-v2.fgm");
        await("two rounds durable").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.exists(secondModel) || !first.isAlive());
        assertTrue(first.isAlive(), "killed before it finished");
        first.destroyForcibly(); // SIGKILL: nothing is flushed or closed
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));

        Process again = simulate(cut, tmp.resolve("cut-2.log"));
        assertTrue(again.waitFor(4, TimeUnit.MINUTES));
        String log = Files.readString(tmp.resolve("cut-2.log"));
        assertEquals(0, again.exitValue(), log);
        assertTrue(log.contains("rounds already completed"), log);

        GlobalModel a = ModelFile.read(whole.resolve("global-model.fgm"), null);
        GlobalModel b = ModelFile.read(cut.resolve("global-model.fgm"), null);
        assertEquals(5, b.version());
        assertArrayEquals(a.parameters(), b.parameters(), 0f, "bit for bit the uninterrupted run's model");

        // a third run of the same command starts anew: the finished run is not resumed
        Process fresh = simulate(cut, tmp.resolve("cut-3.log"));
        assertTrue(fresh.waitFor(4, TimeUnit.MINUTES));
        String log3 = Files.readString(tmp.resolve("cut-3.log"));
        assertEquals(0, fresh.exitValue(), log3);
        assertTrue(!log3.contains("rounds already completed"), log3);
        assertArrayEquals(a.parameters(), ModelFile.read(cut.resolve("global-model.fgm"), null).parameters(), 0f);
    }
}
