package io.fedge.coordinator;

import io.fedge.aggregation.Failure;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.fedge.coordinator.SqlReals.real;
import static io.fedge.coordinator.SqlReals.setReal;

/**
 * The coordinator's state that must survive {@code kill -9}: an embedded SQLite database
 * ({@code state.db}, write-ahead log, {@code synchronous=FULL}) beside the model versions it
 * refers to ({@code models/model-vN.fgm}, {@link ModelFile}s: digest, signature when the
 * coordinator has a model-signing key, written durably). After every round, {@link #commitRound}
 * writes the new model file first and then, in one transaction, the round's record with the
 * reason each selected client did not count, the model version, and the round loop's and the
 * strategy's state. A crash before the commit leaves the previous round as the last one and at
 * most an orphan model file that the repeated round overwrites; a crash after it loses nothing.
 *
 * <p>{@link #open} refuses a database that belongs to another federation (other model
 * architecture or seed) and verifies the model file of the last round against the digest the
 * database holds for it (and its signature) before anything resumes from it.
 *
 * <p>Used by the round thread only; not thread-safe.
 */
final class CoordinatorStore implements AutoCloseable {
    private static final int SCHEMA = 1;
    private static final String DB = "state.db";
    private static final String MODELS = "models";

    private final Path dir;
    private final Connection db;
    private final PrivateKey signingKey;
    private final PublicKey verifyingKey;
    private final RetentionPolicy retention;

    /** What a restarted coordinator resumes from. */
    record Resumed(long lastRound, int completedRounds, GlobalModel model, List<RoundRecord> history,
                   Map<String, byte[]> state) {
    }

    private CoordinatorStore(Path dir, Connection db, PrivateKey signingKey, PublicKey verifyingKey,
                             RetentionPolicy retention) {
        this.dir = dir;
        this.db = db;
        this.signingKey = signingKey;
        this.verifyingKey = verifyingKey;
        this.retention = retention;
    }

    /**
     * Opens (creating if needed) the store in {@code dir} for the federation identified by
     * {@code fingerprint}.
     *
     * @param retention which model files to keep on disk
     * @throws FedgeException if the store belongs to another federation or cannot be read
     */
    static CoordinatorStore open(Path dir, String fingerprint, PrivateKey signingKey, PublicKey verifyingKey,
                                 RetentionPolicy retention) throws IOException {
        Files.createDirectories(dir.resolve(MODELS));
        Connection db;
        try {
            db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(DB).toAbsolutePath());
        } catch (SQLException e) {
            throw new IOException("cannot open the coordinator's state database " + dir.resolve(DB) + ": "
                    + e.getMessage(), e);
        }
        CoordinatorStore store = new CoordinatorStore(dir, db, signingKey, verifyingKey, retention);
        try {
            store.init(fingerprint);
        } catch (SQLException | RuntimeException e) {
            store.close();
            if (e instanceof FedgeException fe) {
                throw fe;
            }
            throw new IOException("the coordinator's state database " + dir.resolve(DB) + " cannot be used: "
                    + e.getMessage(), e);
        }
        return store;
    }

    private void init(String fingerprint) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=FULL");
            s.execute("PRAGMA foreign_keys=ON");
            try (ResultSet r = s.executeQuery("PRAGMA quick_check")) {
                String result = r.next() ? r.getString(1) : "no answer";
                if (!"ok".equals(result)) {
                    throw new FedgeException(ErrorCode.DIGEST_MISMATCH, "state database " + dir.resolve(DB)
                            + " is corrupt: " + result);
                }
            }
            s.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS rounds (round INTEGER PRIMARY KEY, succeeded INTEGER NOT NULL, "
                    + "model_version INTEGER NOT NULL, selected INTEGER NOT NULL, clients INTEGER NOT NULL, "
                    + "failures INTEGER NOT NULL, test_accuracy REAL, test_loss REAL, train_loss REAL, "
                    + "federated_accuracy REAL, round_seconds REAL, eval_seconds REAL, bytes_up INTEGER, "
                    + "bytes_down INTEGER, secagg_client_seconds REAL, secagg_coordinator_seconds REAL, "
                    + "outcome TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS not_counted (round INTEGER NOT NULL REFERENCES rounds(round), "
                    + "client_id TEXT NOT NULL, reason TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS round_metrics (round INTEGER NOT NULL REFERENCES rounds(round), "
                    + "key TEXT NOT NULL, value REAL, PRIMARY KEY (round, key))");
            s.execute("CREATE TABLE IF NOT EXISTS eval_metrics (round INTEGER NOT NULL REFERENCES rounds(round), "
                    + "key TEXT NOT NULL, value REAL, PRIMARY KEY (round, key))");
            s.execute("CREATE TABLE IF NOT EXISTS models (version INTEGER PRIMARY KEY, round INTEGER NOT NULL, "
                    + "file TEXT NOT NULL, sha256 TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BLOB NOT NULL)");
            RegistryTables.create(s);
        }
        Optional<String> schema = meta("schema");
        Optional<String> stored = meta("fingerprint");
        if (stored.isPresent() && !stored.get().equals(fingerprint)) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "the state in " + dir + " belongs to another "
                    + "federation (" + stored.get() + ", this one is " + fingerprint + "); use another folder or "
                    + "remove " + dir.resolve(DB) + " to start over");
        }
        if (schema.isPresent() && !schema.get().equals(Integer.toString(SCHEMA))) {
            throw new FedgeException(ErrorCode.UNSUPPORTED_PROTOCOL, "state database schema " + schema.get()
                    + ", this fedge reads schema " + SCHEMA);
        }
        if (stored.isEmpty()) {
            db.setAutoCommit(false);
            try {
                putMeta("schema", Integer.toString(SCHEMA));
                putMeta("fingerprint", fingerprint);
                db.commit();
            } finally {
                db.setAutoCommit(true);
            }
        }
    }

    /** The state to resume from, or empty when no round has been committed yet. */
    synchronized Optional<Resumed> resume() throws IOException {
        try {
            List<RoundRecord> history = history();
            if (history.isEmpty()) {
                return Optional.empty();
            }
            long lastRound = history.get(history.size() - 1).round();
            int completed = (int) history.stream().filter(RoundRecord::succeeded).count();
            GlobalModel model = null;
            try (PreparedStatement q = db.prepareStatement(
                    "SELECT version, file, sha256 FROM models ORDER BY version DESC LIMIT 1");
                 ResultSet r = q.executeQuery()) {
                if (r.next()) {
                    model = verifiedModel(r.getLong(1), r.getString(2), r.getString(3));
                }
            }
            Map<String, byte[]> state = new HashMap<>();
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT key, value FROM state")) {
                while (r.next()) {
                    state.put(r.getString(1), r.getBytes(2));
                }
            }
            return Optional.of(new Resumed(lastRound, completed, model, history, state));
        } catch (SQLException e) {
            throw new IOException("cannot read the coordinator's state from " + dir.resolve(DB) + ": "
                    + e.getMessage(), e);
        }
    }

    private GlobalModel verifiedModel(long version, String file, String sha256) throws IOException {
        Path path = dir.resolve(MODELS).resolve(file);
        String actual = ModelFile.digestHex(path);
        if (!actual.equals(sha256)) {
            throw new FedgeException(ErrorCode.DIGEST_MISMATCH, "model file " + path + " is not the model version "
                    + version + " the state database recorded (SHA-256 " + actual + ", recorded " + sha256 + ")");
        }
        GlobalModel m = ModelFile.read(path, verifyingKey);
        if (m.version() != version) {
            throw new FedgeException(ErrorCode.DIGEST_MISMATCH, "model file " + path + " holds version " + m.version()
                    + ", the state database recorded " + version);
        }
        return m;
    }

    /** Every committed round, in order, with the reasons its clients did not count. */
    synchronized List<RoundRecord> history() throws SQLException {
        Map<Long, List<Failure>> failures = new HashMap<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT round, client_id, reason FROM not_counted ORDER BY rowid")) {
            while (r.next()) {
                failures.computeIfAbsent(r.getLong(1), k -> new ArrayList<>())
                        .add(new Failure(r.getString(2), r.getString(3)));
            }
        }
        Map<Long, Map<String, Double>> metrics = metricsTable("round_metrics");
        Map<Long, Map<String, Double>> evaluation = metricsTable("eval_metrics");
        List<RoundRecord> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT * FROM rounds ORDER BY round")) {
            while (r.next()) {
                long round = r.getLong("round");
                out.add(new RoundRecord(round, r.getInt("succeeded") != 0, r.getLong("model_version"),
                        r.getInt("selected"), r.getInt("clients"), r.getInt("failures"), real(r, "test_accuracy"),
                        real(r, "test_loss"), real(r, "train_loss"), real(r, "federated_accuracy"),
                        real(r, "round_seconds"), real(r, "eval_seconds"), r.getLong("bytes_up"),
                        r.getLong("bytes_down"), real(r, "secagg_client_seconds"),
                        real(r, "secagg_coordinator_seconds"), r.getString("outcome"),
                        failures.getOrDefault(round, List.of()), metrics.getOrDefault(round, Map.of()),
                        evaluation.getOrDefault(round, Map.of())));
            }
        }
        return out;
    }

    /** A (round, key, value) table as maps per round. */
    private Map<Long, Map<String, Double>> metricsTable(String table) throws SQLException {
        Map<Long, Map<String, Double>> metrics = new HashMap<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT round, key, value FROM " + table)) {
            while (r.next()) {
                metrics.computeIfAbsent(r.getLong(1), k -> new HashMap<>()).put(r.getString(2), real(r, "value"));
            }
        }
        return metrics;
    }

    /**
     * Makes a finished round durable: the published model's file (if the round published one),
     * then one transaction with the record, the model row and {@code state}. Files past the
     * retention policy are deleted by {@link #pruneModels} once labels are settled.
     */
    void commitRound(RoundRecord record, GlobalModel published, Map<String, byte[]> state) throws IOException {
        commitRound(record, published, null, state);
    }

    /**
     * {@link #commitRound(RoundRecord, GlobalModel, Map)} with the published version's registry
     * entry in the same transaction (its digest filled in from the file written).
     *
     * @return the entry as recorded, or null when none was given
     */
    synchronized ModelEntry commitRound(RoundRecord record, GlobalModel published, ModelEntry entry,
                                        Map<String, byte[]> state) throws IOException {
        String file = null;
        String sha = null;
        if (published != null) {
            file = fileName(published.version());
            Path path = dir.resolve(MODELS).resolve(file);
            ModelFile.write(path, published, signingKey);
            sha = ModelFile.digestHex(path);
        }
        ModelEntry recorded = entry == null || sha == null ? entry : entry.withSha256(sha);
        try {
            db.setAutoCommit(false);
            try (PreparedStatement ins = db.prepareStatement("INSERT OR REPLACE INTO rounds VALUES "
                    + "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                int i = 1;
                ins.setLong(i++, record.round());
                ins.setInt(i++, record.succeeded() ? 1 : 0);
                ins.setLong(i++, record.modelVersion());
                ins.setInt(i++, record.selected());
                ins.setInt(i++, record.clients());
                ins.setInt(i++, record.failures());
                for (double d : new double[] {record.testAccuracy(), record.testLoss(), record.trainLoss(),
                        record.federatedAccuracy(), record.roundSeconds(), record.evalSeconds()}) {
                    setReal(ins, i++, d);
                }
                ins.setLong(i++, record.bytesUp());
                ins.setLong(i++, record.bytesDown());
                setReal(ins, i++, record.secAggClientSeconds());
                setReal(ins, i++, record.secAggCoordinatorSeconds());
                ins.setString(i, record.outcome());
                ins.executeUpdate();
            }
            try (PreparedStatement del = db.prepareStatement("DELETE FROM not_counted WHERE round = ?")) {
                del.setLong(1, record.round());
                del.executeUpdate();
            }
            try (PreparedStatement ins = db.prepareStatement("INSERT INTO not_counted VALUES (?,?,?)")) {
                for (Failure f : record.notCounted()) {
                    ins.setLong(1, record.round());
                    ins.setString(2, f.clientId());
                    ins.setString(3, f.reason());
                    ins.addBatch();
                }
                ins.executeBatch();
            }
            insertMetrics("round_metrics", record.round(), record.strategyMetrics());
            insertMetrics("eval_metrics", record.round(), record.evaluationMetrics());
            if (published != null) {
                insertModelFile(published.version(), record.round(), file, sha);
            }
            if (recorded != null) {
                RegistryTables.insert(db, recorded);
            }
            try (PreparedStatement ins = db.prepareStatement("INSERT OR REPLACE INTO state VALUES (?,?)")) {
                for (Map.Entry<String, byte[]> e : state.entrySet()) {
                    ins.setString(1, e.getKey());
                    ins.setBytes(2, e.getValue());
                    ins.addBatch();
                }
                ins.executeBatch();
            }
            db.commit();
        } catch (SQLException e) {
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // the connection is unusable; the caller stops the federation
            }
            throw new IOException("cannot record round " + record.round() + " in " + dir.resolve(DB) + ": "
                    + e.getMessage(), e);
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (SQLException ignored) {
                // reported by the next statement
            }
        }
        return recorded;
    }

    private static String fileName(long version) {
        return "model-v" + version + ".fgm";
    }

    private void insertModelFile(long version, long round, String file, String sha) throws SQLException {
        try (PreparedStatement ins = db.prepareStatement("INSERT OR REPLACE INTO models VALUES (?,?,?,?)")) {
            ins.setLong(1, version);
            ins.setLong(2, round);
            ins.setString(3, file);
            ins.setString(4, sha);
            ins.executeUpdate();
        }
    }

    /**
     * Records a version that no round made (the initial model, or a rollback's copy): its file,
     * then in one transaction its file row, its registry entry and the label changes
     * ({@code labels}: label to version, a negative version removes the label).
     *
     * @return the entry as recorded, digest filled in
     */
    synchronized ModelEntry commitVersion(GlobalModel model, ModelEntry entry, Map<String, Long> labels)
            throws IOException {
        String file = fileName(model.version());
        Path path = dir.resolve(MODELS).resolve(file);
        ModelFile.write(path, model, signingKey);
        ModelEntry recorded = entry.withSha256(ModelFile.digestHex(path));
        inTransaction("record model version " + model.version(), () -> {
            insertModelFile(model.version(), entry.round(), file, recorded.sha256());
            RegistryTables.insert(db, recorded);
            long now = System.currentTimeMillis();
            for (Map.Entry<String, Long> e : labels.entrySet()) {
                RegistryTables.putLabel(db, e.getKey(), e.getValue(), now);
            }
        });
        pruneModels(labelledVersions());
        return recorded;
    }

    /** Points {@code label} at {@code version} durably (a negative version removes it). */
    synchronized void putLabel(String label, long version) throws IOException {
        inTransaction("label version " + version + " '" + label + "'",
                () -> RegistryTables.putLabel(db, label, version, System.currentTimeMillis()));
    }

    /** Records an edge model exported from a version, durably. */
    synchronized void putEdgeExport(EdgeExportEntry e) throws IOException {
        inTransaction("record the edge export of version " + e.version(), () -> RegistryTables.insert(db, e));
    }

    /** Every edge export, oldest first. */
    synchronized List<EdgeExportEntry> edgeExports() throws IOException {
        try {
            return RegistryTables.edgeExports(db);
        } catch (SQLException e) {
            throw new IOException("cannot read the edge exports from " + dir.resolve(DB) + ": " + e.getMessage(), e);
        }
    }

    /** Records a finished A/B evaluation durably. */
    synchronized void putComparison(ComparisonResult c) throws IOException {
        inTransaction("record A/B evaluation " + c.id(), () -> RegistryTables.insert(db, c));
    }

    /** Every A/B evaluation, oldest first. */
    synchronized List<ComparisonResult> comparisons() throws IOException {
        try {
            return RegistryTables.comparisons(db);
        } catch (SQLException e) {
            throw new IOException("cannot read the A/B evaluations from " + dir.resolve(DB) + ": " + e.getMessage(), e);
        }
    }

    /** The registry's entries (oldest first) and labels, as stored. */
    synchronized Map.Entry<List<ModelEntry>, Map<String, Long>> registry() throws IOException {
        try {
            return Map.entry(RegistryTables.entries(db), RegistryTables.labels(db));
        } catch (SQLException e) {
            throw new IOException("cannot read the model registry from " + dir.resolve(DB) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Model version {@code version} read back from its file and verified against the digest
     * recorded for it (and its signature).
     *
     * @throws FedgeException if the file is gone (pruned) or does not match
     */
    synchronized GlobalModel loadModel(long version) throws IOException {
        try (PreparedStatement q = db.prepareStatement("SELECT file, sha256 FROM models WHERE version = ?")) {
            q.setLong(1, version);
            try (ResultSet r = q.executeQuery()) {
                if (!r.next()) {
                    throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "model version " + version
                            + " has no file any more (the retention policy deleted it)");
                }
                return verifiedModel(version, r.getString(1), r.getString(2));
            }
        } catch (SQLException e) {
            throw new IOException("cannot read model version " + version + " from " + dir.resolve(DB) + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Deletes the model files the retention policy no longer keeps, {@code protectedVersions}
     * (labelled ones) always kept; returns the versions deleted.
     */
    synchronized List<Long> pruneModels(Set<Long> protectedVersions) throws IOException {
        List<Long> doomed;
        Map<Long, String> files = new HashMap<>();
        try {
            Map<Long, ModelEntry> known = new HashMap<>();
            for (ModelEntry e : RegistryTables.entries(db)) {
                known.put(e.version(), e);
            }
            Set<Long> keep = new java.util.HashSet<>(protectedVersions);
            keep.addAll(RegistryTables.labels(db).values());
            List<ModelEntry> withFiles = new ArrayList<>();
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT version, round, file, sha256 FROM models")) {
                while (r.next()) {
                    long v = r.getLong(1);
                    files.put(v, r.getString(3));
                    ModelEntry e = known.get(v);
                    withFiles.add(e != null ? e : ModelEntry.unrecorded(v, r.getLong(2), r.getString(4)));
                }
            }
            doomed = retention.toDelete(withFiles, keep);
            if (doomed.isEmpty()) {
                return doomed;
            }
            inTransaction("prune old model versions", () -> {
                try (PreparedStatement del = db.prepareStatement("DELETE FROM models WHERE version = ?")) {
                    for (long v : doomed) {
                        del.setLong(1, v);
                        del.executeUpdate();
                    }
                }
            });
        } catch (SQLException e) {
            throw new IOException("cannot prune old model versions in " + dir.resolve(DB) + ": " + e.getMessage(), e);
        }
        for (long v : doomed) {
            Files.deleteIfExists(dir.resolve(MODELS).resolve(files.get(v)));
        }
        return doomed;
    }

    private Set<Long> labelledVersions() throws IOException {
        try {
            return new java.util.HashSet<>(RegistryTables.labels(db).values());
        } catch (SQLException e) {
            throw new IOException("cannot read the model labels in " + dir.resolve(DB) + ": " + e.getMessage(), e);
        }
    }

    private interface SqlWork {
        void run() throws SQLException;
    }

    private void inTransaction(String what, SqlWork work) throws IOException {
        try {
            db.setAutoCommit(false);
            work.run();
            db.commit();
        } catch (SQLException e) {
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // the connection is unusable; the caller reports the failure
            }
            throw new IOException("cannot " + what + " in " + dir.resolve(DB) + ": " + e.getMessage(), e);
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (SQLException ignored) {
                // reported by the next statement
            }
        }
    }

    private void insertMetrics(String table, long round, Map<String, Double> metrics) throws SQLException {
        try (PreparedStatement ins = db.prepareStatement("INSERT OR REPLACE INTO " + table + " VALUES (?,?,?)")) {
            for (Map.Entry<String, Double> e : metrics.entrySet()) {
                ins.setLong(1, round);
                ins.setString(2, e.getKey());
                setReal(ins, 3, e.getValue());
                ins.addBatch();
            }
            ins.executeBatch();
        }
    }

    private Optional<String> meta(String key) throws SQLException {
        try (PreparedStatement q = db.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            q.setString(1, key);
            try (ResultSet r = q.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }

    private void putMeta(String key, String value) throws SQLException {
        try (PreparedStatement q = db.prepareStatement("INSERT OR REPLACE INTO meta VALUES (?, ?)")) {
            q.setString(1, key);
            q.setString(2, value);
            q.executeUpdate();
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // nothing left to save: every round was committed or is lost with the crash it stands for
        }
    }
}
