package io.fedge.coordinator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;

/**
 * How the state database holds numbers that may be missing: NaN is written as SQL {@code NULL}
 * and read back as NaN; and whether a table exists (state written by an older fedge lacks newer
 * tables, and a read-only reader cannot create them).
 */
final class SqlReals {
    private SqlReals() {
    }

    /** Column {@code column} of the current row, NaN for NULL. */
    static double real(ResultSet r, String column) throws SQLException {
        double d = r.getDouble(column);
        return r.wasNull() ? Double.NaN : d;
    }

    /** Sets parameter {@code i} to {@code d}, NULL for NaN. */
    static void setReal(PreparedStatement s, int i, double d) throws SQLException {
        if (Double.isNaN(d)) {
            s.setNull(i, Types.REAL);
        } else {
            s.setDouble(i, d);
        }
    }

    /** Whether every table in {@code names} is in {@code db}. */
    static boolean tablesExist(Connection db, String... names) throws SQLException {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            in.append(i == 0 ? "?" : ",?");
        }
        try (PreparedStatement q = db.prepareStatement(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (" + in + ")")) {
            for (int i = 0; i < names.length; i++) {
                q.setString(i + 1, names[i]);
            }
            try (ResultSet r = q.executeQuery()) {
                return r.next() && r.getInt(1) == names.length;
            }
        }
    }
}
