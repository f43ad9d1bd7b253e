package io.fedge.coordinator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.fedge.coordinator.SqlReals.real;
import static io.fedge.coordinator.SqlReals.setReal;

/**
 * The model registry's two tables in the coordinator's state database, and the only SQL that
 * touches them: {@code model_versions} (one row per version ever published, never deleted) and
 * {@code model_labels} (which version each label names). Whether a version's file is still kept
 * is read from the store's {@code models} table, the one record of the files on disk.
 */
final class RegistryTables {
    private RegistryTables() {
    }

    static void create(Statement s) throws SQLException {
        s.execute("CREATE TABLE IF NOT EXISTS model_versions (version INTEGER PRIMARY KEY, parent INTEGER NOT NULL, "
                + "round INTEGER NOT NULL, kind TEXT NOT NULL, strategy TEXT NOT NULL, codec TEXT NOT NULL, "
                + "contributors INTEGER NOT NULL, created_ms INTEGER NOT NULL, sha256 TEXT NOT NULL, "
                + "test_accuracy REAL, test_loss REAL, federated_accuracy REAL, federated_loss REAL)");
        s.execute("CREATE TABLE IF NOT EXISTS model_labels (label TEXT PRIMARY KEY, version INTEGER NOT NULL, "
                + "changed_ms INTEGER NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS edge_exports (version INTEGER NOT NULL, student TEXT NOT NULL, "
                + "file_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, edge_accuracy REAL, teacher_accuracy REAL, "
                + "created_ms INTEGER NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS comparisons (id INTEGER PRIMARY KEY, version_a INTEGER NOT NULL, "
                + "version_b INTEGER NOT NULL, after_round INTEGER NOT NULL, asked INTEGER NOT NULL, "
                + "pairs INTEGER NOT NULL, accuracy_a REAL, accuracy_b REAL, mean_difference REAL, low REAL, "
                + "high REAL, confidence REAL NOT NULL, verdict TEXT NOT NULL, created_ms INTEGER NOT NULL)");
    }

    static void insert(Connection db, ComparisonResult c) throws SQLException {
        try (PreparedStatement ins = db.prepareStatement(
                "INSERT OR REPLACE INTO comparisons VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            PairedComparison p = c.comparison();
            int i = 1;
            ins.setLong(i++, c.id());
            ins.setLong(i++, c.versionA());
            ins.setLong(i++, c.versionB());
            ins.setLong(i++, c.afterRound());
            ins.setInt(i++, c.asked());
            ins.setInt(i++, p.pairs());
            for (double d : new double[] {c.accuracyA(), c.accuracyB(), p.meanDifference(), p.low(), p.high()}) {
                setReal(ins, i++, d);
            }
            ins.setDouble(i++, p.confidence());
            ins.setString(i++, p.verdict().name());
            ins.setLong(i, c.createdMillis());
            ins.executeUpdate();
        }
    }

    static void insert(Connection db, EdgeExportEntry e) throws SQLException {
        try (PreparedStatement ins = db.prepareStatement("INSERT INTO edge_exports VALUES (?,?,?,?,?,?,?)")) {
            ins.setLong(1, e.version());
            ins.setString(2, e.student());
            ins.setLong(3, e.fileBytes());
            ins.setString(4, e.sha256());
            setReal(ins, 5, e.edgeAccuracy());
            setReal(ins, 6, e.teacherAccuracy());
            ins.setLong(7, e.createdMillis());
            ins.executeUpdate();
        }
    }

    /** Every edge export, oldest first; none in state written before they were recorded. */
    static List<EdgeExportEntry> edgeExports(Connection db) throws SQLException {
        List<EdgeExportEntry> out = new ArrayList<>();
        if (!SqlReals.tablesExist(db, "edge_exports")) {
            return out;
        }
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT * FROM edge_exports ORDER BY created_ms, version")) {
            while (r.next()) {
                out.add(new EdgeExportEntry(r.getLong("version"), r.getString("student"), r.getLong("file_bytes"),
                        r.getString("sha256"), real(r, "edge_accuracy"), real(r, "teacher_accuracy"),
                        r.getLong("created_ms")));
            }
        }
        return out;
    }

    /** Every comparison, oldest first; none in state written before they existed. */
    static List<ComparisonResult> comparisons(Connection db) throws SQLException {
        List<ComparisonResult> out = new ArrayList<>();
        if (!SqlReals.tablesExist(db, "comparisons")) {
            return out;
        }
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT * FROM comparisons ORDER BY id")) {
            while (r.next()) {
                PairedComparison p = new PairedComparison(r.getInt("pairs"), real(r, "mean_difference"), real(r, "low"),
                        real(r, "high"), r.getDouble("confidence"), PairedComparison.Verdict.valueOf(r.getString("verdict")));
                out.add(new ComparisonResult(r.getLong("id"), r.getLong("version_a"), r.getLong("version_b"),
                        r.getLong("after_round"), r.getInt("asked"), real(r, "accuracy_a"), real(r, "accuracy_b"), p,
                        r.getLong("created_ms")));
            }
        }
        return out;
    }

    /** Whether the registry's tables are in {@code db} (state written by an older fedge has none). */
    static boolean exist(Connection db) throws SQLException {
        return SqlReals.tablesExist(db, "model_versions", "model_labels");
    }

    static void insert(Connection db, ModelEntry e) throws SQLException {
        try (PreparedStatement ins = db.prepareStatement(
                "INSERT OR REPLACE INTO model_versions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            int i = 1;
            ins.setLong(i++, e.version());
            ins.setLong(i++, e.parent());
            ins.setLong(i++, e.round());
            ins.setString(i++, e.kind().label());
            ins.setString(i++, e.strategy());
            ins.setString(i++, e.codec());
            ins.setInt(i++, e.contributors());
            ins.setLong(i++, e.createdMillis());
            ins.setString(i++, e.sha256());
            for (double d : new double[] {e.testAccuracy(), e.testLoss(), e.federatedAccuracy(), e.federatedLoss()}) {
                setReal(ins, i++, d);
            }
            ins.executeUpdate();
        }
    }

    /** Every version, oldest first, {@link ModelEntry#fileKept()} from the {@code models} table. */
    static List<ModelEntry> entries(Connection db) throws SQLException {
        Set<Long> files = new HashSet<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT version FROM models")) {
            while (r.next()) {
                files.add(r.getLong(1));
            }
        }
        List<ModelEntry> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT * FROM model_versions ORDER BY version")) {
            while (r.next()) {
                long v = r.getLong("version");
                out.add(new ModelEntry(v, r.getLong("parent"), r.getLong("round"),
                        ModelEntry.Kind.of(r.getString("kind")), r.getString("strategy"), r.getString("codec"),
                        r.getInt("contributors"), r.getLong("created_ms"), r.getString("sha256"),
                        files.contains(v), real(r, "test_accuracy"), real(r, "test_loss"),
                        real(r, "federated_accuracy"), real(r, "federated_loss")));
            }
        }
        return out;
    }

    /** Label to version. */
    static Map<String, Long> labels(Connection db) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT label, version FROM model_labels ORDER BY label")) {
            while (r.next()) {
                out.put(r.getString(1), r.getLong(2));
            }
        }
        return out;
    }

    /** Points {@code label} at {@code version}, or removes it when {@code version} is negative. */
    static void putLabel(Connection db, String label, long version, long nowMillis) throws SQLException {
        if (version < 0) {
            try (PreparedStatement del = db.prepareStatement("DELETE FROM model_labels WHERE label = ?")) {
                del.setString(1, label);
                del.executeUpdate();
            }
            return;
        }
        try (PreparedStatement ins = db.prepareStatement("INSERT OR REPLACE INTO model_labels VALUES (?,?,?)")) {
            ins.setString(1, label);
            ins.setLong(2, version);
            ins.setLong(3, nowMillis);
            ins.executeUpdate();
        }
    }
}
