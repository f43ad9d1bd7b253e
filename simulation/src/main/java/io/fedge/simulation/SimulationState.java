package io.fedge.simulation;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedge.core.model.ModelFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where a simulation keeps the state that lets it resume after a crash or {@code kill -9}:
 * {@code OUT/state/} holds the coordinator's store (state.db, models/), the clients' own state
 * (error feedback), the simulation's configuration ({@code simulation.json}) and, once it
 * finished, a {@code finished} marker. Running the same simulation again resumes an interrupted
 * run; a finished one, or one of another configuration, is replaced by a new run.
 */
final class SimulationState {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DESCRIPTION = "simulation.json";
    private static final String FINISHED = "finished";

    private SimulationState() {
    }

    /**
     * The state folder for a simulation described by {@code described} under {@code outDir}: kept
     * when it holds an unfinished run of the same configuration, emptied otherwise.
     */
    static Path prepare(Path outDir, Map<String, Object> described) throws IOException {
        Path dir = outDir.resolve("state");
        Map<String, Object> identity = new LinkedHashMap<>(described);
        identity.remove("parallelism"); // how many clients train at once changes no result
        byte[] now = JSON.writeValueAsBytes(identity);
        if (Files.isDirectory(dir)) {
            Path desc = dir.resolve(DESCRIPTION);
            boolean same = Files.isRegularFile(desc) && java.util.Arrays.equals(Files.readAllBytes(desc), now);
            if (same && !Files.exists(dir.resolve(FINISHED))) {
                return dir; // an interrupted run of this very simulation: the coordinator resumes it
            }
            deleteRecursively(dir);
        }
        Files.createDirectories(dir);
        ModelFile.writeDurably(dir.resolve(DESCRIPTION), ByteBuffer.wrap(now));
        return dir;
    }

    /** Marks the run in {@code dir} finished: the next run of the same command starts anew. */
    static void finished(Path dir) throws IOException {
        ModelFile.writeDurably(dir.resolve(FINISHED), ByteBuffer.wrap("finished\n".getBytes(StandardCharsets.US_ASCII)));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
