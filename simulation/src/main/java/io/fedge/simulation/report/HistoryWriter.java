package io.fedge.simulation.report;

import io.fedge.coordinator.RoundRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes the record of a finished run into a folder:
 * <ul>
 *   <li>{@value #JSON}: {@code {"config": {...}, "rounds": [{"round": 1, "test_accuracy": ...}, ...]}},
 *       the config in its map's iteration order, non-finite numbers as {@code null};</li>
 *   <li>{@value #CSV}: header {@code round,test_accuracy,test_loss,train_loss,round_seconds,
 *       eval_seconds,bytes_up,bytes_down,clients,selected,failures,succeeded,test_macro_f1,test_mae} and
 *       one line per round, missing values empty (a regression has no accuracy and no macro-F1);</li>
 *   <li>{@value #PNG}: test accuracy and test loss per round, on two y axes (a regression: its test
 *       loss, the MSE, alone).</li>
 * </ul>
 * Existing files of those names are replaced. Stateless and thread-safe, but two calls on the
 * same folder at once overwrite each other.
 *
 * <pre>{@code
 * HistoryWriter.write(Path.of("runs/mnist-iid"), Map.of("rounds", 50), history.rounds(), "MNIST, IID");
 * }</pre>
 */
public final class HistoryWriter {

    /** The JSON file's name. */
    public static final String JSON = "history.json";
    /** The CSV file's name. */
    public static final String CSV = "history.csv";
    /** The plot's name. */
    public static final String PNG = "accuracy.png";

    private HistoryWriter() {
    }

    /**
     * Writes the three files, creating {@code outDir} and its parents if missing.
     *
     * @param outDir the folder to write into
     * @param config the run's settings, written as the JSON {@code config} object; values must be
     *     serialisable by Jackson (numbers, strings, booleans, lists, maps)
     * @param rounds the rounds in order
     * @param title the plot's title
     * @return the paths written: the JSON, the CSV and the PNG, in that order
     * @throws NullPointerException if an argument is null
     * @throws IOException if the folder or a file cannot be written
     */
    public static List<Path> write(Path outDir, Map<String, Object> config, List<RoundRecord> rounds, String title)
            throws IOException {
        Objects.requireNonNull(outDir, "outDir");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(rounds, "rounds");
        Objects.requireNonNull(title, "title");
        Files.createDirectories(outDir);
        Path json = outDir.resolve(JSON);
        Path csv = outDir.resolve(CSV);
        Path png = outDir.resolve(PNG);
        // each file is written beside its destination and renamed over it, so a reader (or a
        // crash of a coordinator that rewrites them after every round) never sees half of one
        atomically(json, tmp -> HistoryJson.write(tmp, config, rounds));
        atomically(csv, tmp -> HistoryCsv.write(tmp, rounds));
        atomically(png, tmp -> AccuracyChart.write(tmp, rounds, title));
        return List.of(json, csv, png);
    }

    /**
     * Adds what the data is to a run's configuration: {@code task}, and {@code classes} (the class
     * names, in output order) or {@code targets}; history.json names per-class and per-target
     * metrics after them.
     */
    public static void describeData(Map<String, Object> config, io.fedge.core.metrics.Task task, List<String> names) {
        config.put("task", task.label());
        config.put(task == io.fedge.core.metrics.Task.CLASSIFICATION ? "classes" : "targets", List.copyOf(names));
    }

    private interface Writer {
        void write(Path tmp) throws IOException;
    }

    private static void atomically(Path file, Writer writer) throws IOException {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path tmp = file.resolveSibling(name.substring(0, dot) + ".tmp" + name.substring(dot));
        writer.write(tmp);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
