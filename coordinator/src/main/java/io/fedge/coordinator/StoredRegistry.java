package io.fedge.coordinator;

import io.fedge.core.FedgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A coordinator's model registry read straight from its state folder, read-only (a running
 * coordinator may keep writing; SQLite's write-ahead log lets both be): what
 * {@code fedge models list|show --state DIR} prints.
 *
 * @param entries every version, oldest first
 * @param labels  label to version
 * @param comparisons the federated A/B evaluations, oldest first
 * @param edgeExports the edge models exported from versions, oldest first
 */
public record StoredRegistry(List<ModelEntry> entries, Map<String, Long> labels, List<ComparisonResult> comparisons,
                             List<EdgeExportEntry> edgeExports) {
    public StoredRegistry {
        edgeExports = List.copyOf(edgeExports);
        entries = List.copyOf(entries);
        labels = Map.copyOf(labels);
        comparisons = List.copyOf(comparisons);
    }

    /**
     * @throws FedgeException if {@code stateDir} holds no coordinator state
     * @throws IOException    if the database cannot be read
     */
    public static StoredRegistry read(Path stateDir) throws IOException {
        Path db = stateDir.resolve("state.db");
        if (!Files.isRegularFile(db)) {
            throw new FedgeException(io.fedge.core.ErrorCode.UNEXPECTED_MESSAGE, "no coordinator state in " + stateDir
                    + " (no state.db): pass the folder the coordinator was started with");
        }
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setReadOnly(true);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath(), config.toProperties())) {
            if (!RegistryTables.exist(c)) {
                return new StoredRegistry(List.of(), Map.of(), List.of(), List.of()); // state written before the registry existed
            }
            return new StoredRegistry(RegistryTables.entries(c), RegistryTables.labels(c), RegistryTables.comparisons(c),
                    RegistryTables.edgeExports(c));
        } catch (SQLException e) {
            throw new IOException("cannot read the model registry in " + db + ": " + e.getMessage(), e);
        }
    }

    public Optional<ModelEntry> entry(long version) {
        return entries.stream().filter(e -> e.version() == version).findFirst();
    }

    /** The labels naming {@code version}, sorted. */
    public List<String> labelsOf(long version) {
        return labels.entrySet().stream().filter(e -> e.getValue() == version).map(Map.Entry::getKey).sorted().toList();
    }
}
