package io.fedge.data.format;

import java.util.List;
import java.util.Objects;

/**
 * How to read a CSV table. A column is named by its header name (with {@code header}) or by its
 * 0-based index, negative indices counting from the end ({@code -1} is the last column).
 *
 * @param header whether the first line (after {@code skipLines}) names the columns
 * @param skipLines lines to skip before the header or the first row (a line of counts, a comment)
 * @param delimiter the field separator
 * @param labelColumns the label column (classification: exactly one) or the target columns (regression: one or more)
 * @param featureColumns the feature columns, in order; empty for every column that is neither a label nor the client
 * @param clientColumn the column naming each row's client (a natural partition), or null
 */
public record CsvOptions(boolean header, int skipLines, char delimiter, List<String> labelColumns,
                         List<String> featureColumns, String clientColumn) implements java.io.Serializable {
    /** The most lines {@link #skipLines} may skip. */
    public static final int MAX_SKIP_LINES = 1_000_000;

    public CsvOptions {
        if (skipLines < 0 || skipLines > MAX_SKIP_LINES) {
            throw new IllegalArgumentException("skip lines must be in [0, " + MAX_SKIP_LINES + "]: " + skipLines);
        }
        if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
            throw new IllegalArgumentException("the delimiter cannot be a quote or a line break");
        }
        labelColumns = List.copyOf(labelColumns);
        featureColumns = List.copyOf(featureColumns);
        if (labelColumns.isEmpty()) {
            throw new IllegalArgumentException("name at least one label column");
        }
        for (String c : labelColumns) {
            Objects.requireNonNull(c, "label column");
        }
    }

    /** No header, comma-separated, the last column the label, every other a feature. */
    public static CsvOptions lastColumnLabel() {
        return new CsvOptions(false, 0, ',', List.of("-1"), List.of(), null);
    }
}
