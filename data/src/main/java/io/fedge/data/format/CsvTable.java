package io.fedge.data.format;

import io.fedge.core.data.IdxReader;
import io.fedge.core.metrics.Task;
import io.fedge.core.model.InputShape;
import io.fedge.data.ClassLabels;
import io.fedge.data.Examples;
import io.fedge.data.Names;
import io.fedge.data.NaturalClients;
import io.fedge.data.RegressionTargets;
import io.fedge.data.Targets;
import org.datavec.api.records.reader.impl.csv.CSVRecordReader;
import org.datavec.api.split.InputStreamInputSplit;
import org.datavec.api.writable.Writable;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Reads a CSV table (gzipped or not) through DataVec's {@code CSVRecordReader}: one example per
 * row, numeric feature columns, a label column (classification: its values, strings or integers,
 * become the classes, sorted as {@link Names#sorted}) or one or more target columns (regression),
 * and optionally a column naming each row's client (the natural partition). See {@link CsvOptions}.
 *
 * <p>Refused, naming the file and line: a row with another number of values than the first, a
 * feature or target that is not a finite decimal number (with its column), an empty label, an
 * unterminated quote, a line longer than {@value #MAX_LINE_BYTES} bytes, a table without rows, more
 * than {@value #MAX_CLASSES} distinct labels (a regression target read as classes?). Stateless.
 */
public final class CsvTable {
    /** The longest line read. */
    public static final int MAX_LINE_BYTES = 16 << 20;
    /** The most distinct class labels a classification column may hold. */
    public static final int MAX_CLASSES = 10_000;

    private CsvTable() {
    }

    /**
     * Reads {@code file}.
     *
     * @param readClients whether to read the client column (a training set's); a test set's is
     *     left out of the features but not read
     * @throws java.nio.file.NoSuchFileException if the file is not there
     * @throws IOException if it cannot be read
     * @throws io.fedge.core.FedgeException ({@code MALFORMED}) naming the file and line of what is wrong
     */
    public static Examples read(Path file, CsvOptions options, Task task, boolean readClients) throws IOException {
        if (task == Task.CLASSIFICATION && options.labelColumns().size() != 1) {
            throw new IllegalArgumentException("a classification has one label column, not "
                    + options.labelColumns());
        }
        try (InputStream in = open(file)) {
            CSVRecordReader reader = new CSVRecordReader(options.skipLines(), options.delimiter());
            try {
                reader.initialize(new InputStreamInputSplit(in));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while opening " + file, e);
            }
            return new Parse(file, options, task, readClients).run(reader);
        } catch (io.fedge.core.FedgeException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // DataVec's line iterator (commons-io) wraps what the stream throws in an IllegalStateException
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof LineTooLong l) {
                    throw Malformed.atLine(file, l.line, "a line longer than " + MAX_LINE_BYTES + " bytes");
                }
                if (t instanceof IOException io) {
                    throw Malformed.of(file, "cannot be read: " + (io.getMessage() == null ? io.toString()
                            : io.getMessage()));
                }
            }
            throw e;
        }
    }

    private static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        if (b0 != 0x1f || b1 != 0x8b) {
            return new LineLimit(raw);
        }
        try {
            return new LineLimit(new GZIPInputStream(raw, 1 << 16));
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            raw.close();
            throw Malformed.of(file, "not a valid gzip stream: " + e.getMessage());
        }
    }

    /** One pass over the rows. */
    private static final class Parse {
        private final Path file;
        private final CsvOptions options;
        private final Task task;
        private final boolean readClients;
        private long line;
        private List<String> header;
        private int columns = -1;
        private long firstRowLine;
        private int[] featureCols;
        private int[] labelCols;
        private int clientCol = -1;
        private float[] features = new float[1 << 12];
        private int featureCount;
        private float[] targets = new float[1 << 10];
        private int targetCount;
        private int[] labels = new int[1 << 10];
        private int[] clients = new int[1 << 10];
        private int rows;
        private final Map<String, Integer> labelIds = new HashMap<>();
        private final List<String> labelNames = new ArrayList<>();
        private final Map<String, Integer> clientIds = new HashMap<>();
        private final List<String> clientNames = new ArrayList<>();

        Parse(Path file, CsvOptions options, Task task, boolean readClients) {
            this.file = file;
            this.options = options;
            this.task = task;
            this.readClients = readClients;
            this.line = options.skipLines();
        }

        Examples run(CSVRecordReader reader) throws IOException {
            while (hasNext(reader)) {
                List<String> values = next(reader);
                if (header == null && options.header()) {
                    header = values;
                    if (!header.isEmpty()) {
                        header.set(0, stripBom(header.get(0)));
                    }
                    columns = values.size();
                    resolveColumns();
                    continue;
                }
                if (columns < 0) {
                    columns = values.size();
                    resolveColumns();
                }
                if (firstRowLine == 0) {
                    firstRowLine = line;
                }
                if (values.size() != columns) {
                    throw Malformed.atLine(file, line, values.size() + " values, expected " + columns + " as on line "
                            + (header != null ? options.skipLines() + 1 : firstRowLine));
                }
                row(values);
            }
            if (rows == 0) {
                throw Malformed.of(file, "no data rows" + (options.skipLines() > 0 || options.header()
                        ? " after " + (options.skipLines() + (options.header() ? 1 : 0)) + " skipped and header lines" : ""));
            }
            return examples();
        }

        private boolean hasNext(CSVRecordReader reader) {
            return reader.hasNext();
        }

        private List<String> next(CSVRecordReader reader) {
            line++;
            List<Writable> record;
            try {
                record = reader.next();
            } catch (RuntimeException e) {
                // commons-io's line iterator reports a failing stream as IllegalStateException; the
                // CSV parser a bad row (an unterminated quote) as a RuntimeException around an IOException
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof LineTooLong || t instanceof IllegalStateException) {
                        throw e; // the stream's failure, not the row's: reported by read
                    }
                }
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw Malformed.atLine(file, line, "not a CSV row: " + cause.getMessage());
            }
            List<String> out = new ArrayList<>(record.size());
            for (Writable w : record) {
                out.add(w.toString());
            }
            return out;
        }

        private void resolveColumns() {
            Set<Integer> taken = new LinkedHashSet<>();
            labelCols = new int[options.labelColumns().size()];
            for (int i = 0; i < labelCols.length; i++) {
                labelCols[i] = column(options.labelColumns().get(i), "label");
                if (!taken.add(labelCols[i])) {
                    throw Malformed.of(file, "column " + describe(labelCols[i]) + " is named twice as a label");
                }
            }
            if (options.clientColumn() != null) {
                clientCol = column(options.clientColumn(), "client");
                if (taken.contains(clientCol)) {
                    throw Malformed.of(file, "column " + describe(clientCol) + " cannot be both a label and the client");
                }
            }
            if (options.featureColumns().isEmpty()) {
                List<Integer> all = new ArrayList<>();
                for (int c = 0; c < columns; c++) {
                    if (!taken.contains(c) && c != clientCol) {
                        all.add(c);
                    }
                }
                featureCols = all.stream().mapToInt(Integer::intValue).toArray();
            } else {
                featureCols = new int[options.featureColumns().size()];
                Set<Integer> features = new LinkedHashSet<>();
                for (int i = 0; i < featureCols.length; i++) {
                    featureCols[i] = column(options.featureColumns().get(i), "feature");
                    if (taken.contains(featureCols[i]) || featureCols[i] == clientCol || !features.add(featureCols[i])) {
                        throw Malformed.of(file, "column " + describe(featureCols[i])
                                + " is named twice among the feature, label and client columns");
                    }
                }
            }
            if (featureCols.length == 0) {
                throw Malformed.of(file, "no feature columns: the table has " + columns + " columns and "
                        + (labelCols.length + (clientCol >= 0 ? 1 : 0)) + " of them are labels or the client");
            }
        }

        /** A column reference resolved against the first row; an absent client column of a test set is ignored. */
        private int column(String ref, String role) {
            String r = ref.strip();
            if (isInteger(r)) {
                long k = Long.parseLong(r);
                long c = k < 0 ? columns + k : k;
                if (c < 0 || c >= columns) {
                    throw Malformed.of(file, role + " column " + ref + " does not exist: the table has " + columns
                            + " columns (0 to " + (columns - 1) + ", or -1 to -" + columns + " from the end)");
                }
                return (int) c;
            }
            if (header == null) {
                throw Malformed.of(file, role + " column '" + ref + "' is a name, but the table has no header "
                        + "(give --header, or the column's 0-based index)");
            }
            int at = header.indexOf(r);
            if (at < 0) {
                if (role.equals("client") && !readClients) {
                    return -1;
                }
                throw Malformed.of(file, "no column '" + ref + "' in the header " + abbreviated(header));
            }
            return at;
        }

        private String describe(int c) {
            return header != null ? "'" + header.get(c) + "' (" + c + ")" : Integer.toString(c);
        }

        private void row(List<String> values) {
            if ((long) (rows + 1) * featureCols.length > IdxReader.MAX_ELEMENTS) {
                throw Malformed.atLine(file, line, "more than " + IdxReader.MAX_ELEMENTS + " feature values");
            }
            features = grow(features, featureCount + featureCols.length);
            for (int c : featureCols) {
                features[featureCount++] = number(values.get(c), c, "feature");
            }
            if (task == Task.REGRESSION) {
                targets = grow(targets, targetCount + labelCols.length);
                for (int c : labelCols) {
                    targets[targetCount++] = number(values.get(c), c, "target");
                }
            } else {
                String label = values.get(labelCols[0]).strip();
                if (label.isEmpty()) {
                    throw Malformed.atLine(file, line, "empty label in column " + describe(labelCols[0]));
                }
                labels = grow(labels, rows + 1);
                labels[rows] = intern(label, labelIds, labelNames, MAX_CLASSES, "distinct labels in column "
                        + describe(labelCols[0]) + "; is it a regression target (--task regression)?");
            }
            if (readClients && clientCol >= 0) {
                String client = values.get(clientCol).strip();
                if (client.isEmpty()) {
                    throw Malformed.atLine(file, line, "empty client id in column " + describe(clientCol));
                }
                clients = grow(clients, rows + 1);
                clients[rows] = intern(client, clientIds, clientNames, Integer.MAX_VALUE, "clients");
            }
            rows++;
        }

        private int intern(String value, Map<String, Integer> ids, List<String> names, int max, String what) {
            Integer id = ids.get(value);
            if (id == null) {
                if (names.size() >= max) {
                    throw Malformed.atLine(file, line, "more than " + max + " " + what);
                }
                id = names.size();
                ids.put(value, id);
                names.add(value);
            }
            return id;
        }

        private float number(String raw, int column, String role) {
            String v = raw.strip();
            if (!isDecimal(v)) {
                throw Malformed.atLine(file, line, role + " column " + describe(column) + ": '" + abbreviated(v)
                        + "' is not a number");
            }
            float f = Float.parseFloat(v);
            if (!Float.isFinite(f)) {
                throw Malformed.atLine(file, line, role + " column " + describe(column) + ": " + v
                        + " is out of float range");
            }
            return f;
        }

        private Examples examples() {
            InputShape shape = new InputShape.Vector(featureCols.length);
            float[] x = Arrays.copyOf(features, featureCount);
            Targets t;
            if (task == Task.REGRESSION) {
                List<String> names = new ArrayList<>();
                for (int c : labelCols) {
                    names.add(header != null ? header.get(c) : Integer.toString(c));
                }
                t = new RegressionTargets(names, Arrays.copyOf(targets, targetCount));
            } else {
                List<String> classes = Names.sorted(labelNames);
                t = new ClassLabels(labelNames, Arrays.copyOf(labels, rows)).remap(classes);
            }
            NaturalClients c = null;
            if (readClients && clientCol >= 0) {
                List<String> ids = Names.sorted(clientNames);
                int[] order = new int[clientNames.size()];
                for (int k = 0; k < order.length; k++) {
                    order[k] = ids.indexOf(clientNames.get(k));
                }
                int[] of = new int[rows];
                for (int i = 0; i < rows; i++) {
                    of[i] = order[clients[i]];
                }
                c = new NaturalClients(ids, of);
            }
            return Examples.ofFloats(shape, x, t, c);
        }
    }

    private static float[] grow(float[] a, int needed) {
        return needed <= a.length ? a : Arrays.copyOf(a, (int) Math.min(IdxReader.MAX_ELEMENTS,
                Math.max(needed, 2L * a.length)));
    }

    private static int[] grow(int[] a, int needed) {
        return needed <= a.length ? a : Arrays.copyOf(a, (int) Math.min(IdxReader.MAX_ELEMENTS,
                Math.max(needed, 2L * a.length)));
    }

    private static String stripBom(String s) {
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    private static String abbreviated(Object o) {
        String s = String.valueOf(o);
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static boolean isInteger(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return false;
        }
        int start = s.charAt(0) == '-' ? 1 : 0;
        if (start == s.length()) {
            return false;
        }
        for (int i = start; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** A plain decimal: {@code [+-]digits[.digits][e[+-]digits]}, at least one digit before the exponent. */
    static boolean isDecimal(String s) {
        int i = 0;
        int n = s.length();
        if (n == 0 || n > 400) {
            return false;
        }
        if (s.charAt(i) == '+' || s.charAt(i) == '-') {
            i++;
        }
        int digits = 0;
        while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
            i++;
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exp = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                exp++;
            }
            if (exp == 0) {
                return false;
            }
        }
        return i == n;
    }

    /** Thrown (unchecked, through DataVec's iterator) when a line exceeds {@link #MAX_LINE_BYTES}. */
    private static final class LineTooLong extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long line;

        LineTooLong(long line) {
            super("line " + line + " is longer than " + MAX_LINE_BYTES + " bytes", null, false, false);
            this.line = line;
        }
    }

    /** Counts bytes since the last line break and stops a line longer than {@link #MAX_LINE_BYTES}. */
    private static final class LineLimit extends java.io.FilterInputStream {
        private long run;
        private long line = 1;

        LineLimit(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            for (int i = 0; i < n; i++) {
                count(buf[off + i]);
            }
            return n;
        }

        private void count(byte b) {
            if (b == '\n') {
                run = 0;
                line++;
            } else if (++run > MAX_LINE_BYTES) {
                throw new LineTooLong(line);
            }
        }
    }
}
