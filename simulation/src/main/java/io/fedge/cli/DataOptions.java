package io.fedge.cli;

import io.fedge.core.data.FashionMnist;
import io.fedge.core.metrics.Task;
import io.fedge.data.DataFormat;
import io.fedge.data.DataSource;
import io.fedge.data.Scaling;
import io.fedge.data.format.CsvOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The data options every command that reads a data set shares ({@code simulate}, {@code coordinator},
 * {@code client}, {@code export}): which format, which files, and how to read them. Without
 * {@code --train} the data is Fashion-MNIST's IDX files in {@code --data}, as it always was.
 * {@link #source(long)} turns them into a {@link DataSource}; see docs/data.md.
 */
final class DataOptions {
    @Option(names = "--data-format", description = "idx, images, csv or npy; default ${DEFAULT-VALUE} "
            + "(Fashion-MNIST from --data unless --train names other files)")
    String format = "idx";

    @Option(names = "--data", description = "folder with the Fashion-MNIST IDX files, the data when no --train "
            + "is given; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--train", description = "the training data: an IDX examples file, an image folder "
            + "(ROOT/<class>/<image> or ROOT/<client>/<class>/<image>), a CSV file (.csv or .csv.gz) or a .npy "
            + "features file")
    Path train;

    @Option(names = "--train-labels", description = "idx: the labels file (default: the --train name with "
            + "images->labels, idx3->idx1); npy: the labels .npy (required)")
    Path trainLabels;

    @Option(names = "--test", description = "the test data, in the same format and read with the same options")
    Path test;

    @Option(names = "--test-labels", description = "the labels of --test (idx, npy), as --train-labels")
    Path testLabels;

    @Option(names = "--test-fraction", description = "without --test: hold out this seeded random fraction of "
            + "--train as the test set (seeded by --seed); default none")
    double testFraction;

    @Option(names = "--task", description = "csv, npy: classification or regression; default ${DEFAULT-VALUE}")
    String task = "classification";

    @Option(names = "--label-column", split = ",", paramLabel = "COL", description = "csv: the label column "
            + "(a header name or a 0-based index, -1 = last), or for --task regression one or more target "
            + "columns; default -1")
    List<String> labelColumns = new java.util.ArrayList<>();

    @Option(names = "--feature-columns", split = ",", paramLabel = "COL", description = "csv: the feature "
            + "columns, in order; default every column but the labels and the client")
    List<String> featureColumns = new java.util.ArrayList<>();

    @Option(names = "--client-column", paramLabel = "COL", description = "csv: the column naming each row's "
            + "client, for --partition natural")
    String clientColumn;

    @Option(names = "--header", description = "csv: the first line (after --skip-lines) names the columns")
    boolean header;

    @Option(names = "--skip-lines", description = "csv: skip this many lines first; default ${DEFAULT-VALUE}")
    int skipLines;

    @Option(names = "--delimiter", description = "csv: the field separator, one character or 'tab'; "
            + "default ${DEFAULT-VALUE}")
    String delimiter = ",";

    @Option(names = "--channels", description = "images: 1 (grey) or 3 (RGB); default: the first image's")
    Integer channels;

    @Option(names = "--scale", description = "csv, npy floats: rescale each feature with the training set's "
            + "statistics: none, minmax (to [0, 1]) or standard (zero mean, unit variance); default ${DEFAULT-VALUE}")
    String scale = "none";

    /**
     * Checks the options against each other.
     *
     * @throws IllegalArgumentException naming the first option that does not fit
     */
    void validate() {
        OptionChecks.oneOf("--data-format", format, DataFormat.NAMES);
        OptionChecks.oneOf("--task", task, List.of("classification", "regression"));
        OptionChecks.oneOf("--scale", scale, Scaling.NAMES);
        OptionChecks.range("--test-fraction", testFraction, 0, 1, false);
        OptionChecks.between("--skip-lines", skipLines, 0, CsvOptions.MAX_SKIP_LINES);
        if (channels != null) {
            OptionChecks.oneOf("--channels", Integer.toString(channels), List.of("1", "3"));
        }
        delimiterChar();
        DataFormat f = DataFormat.byName(format);
        if (f != DataFormat.CSV) {
            for (String[] o : new String[][] {{"--label-column", labelColumns.isEmpty() ? null : ""},
                    {"--feature-columns", featureColumns.isEmpty() ? null : ""}, {"--client-column", clientColumn},
                    {"--header", header ? "" : null}, {"--skip-lines", skipLines > 0 ? "" : null},
                    {"--delimiter", delimiter.equals(",") ? null : ""}}) {
                if (o[1] != null) {
                    throw new IllegalArgumentException(o[0] + " reads CSV tables; it needs --data-format csv");
                }
            }
        }
        if (channels != null && f != DataFormat.IMAGES) {
            throw new IllegalArgumentException("--channels reads image folders; it needs --data-format images");
        }
        if (!task.equals("classification") && f != DataFormat.CSV && f != DataFormat.NPY) {
            throw new IllegalArgumentException("--task " + task + " needs --data-format csv or npy (" + f.label()
                    + " holds class labels)");
        }
        source(0); // the cross-checks of DataSource, as one line
    }

    private char delimiterChar() {
        if (delimiter.equalsIgnoreCase("tab") || delimiter.equals("\\t")) {
            return '\t';
        }
        if (delimiter.length() != 1 || delimiter.charAt(0) == '"') {
            throw new IllegalArgumentException("--delimiter must be one character (or 'tab'), not '" + delimiter + "'");
        }
        return delimiter.charAt(0);
    }

    /** Whether the data is the default, Fashion-MNIST's IDX files. */
    boolean isFashionMnist() {
        return DataFormat.byName(format) == DataFormat.IDX && train == null;
    }

    /**
     * The data source these options describe; {@code seed} splits off {@code --test-fraction}.
     *
     * @throws IllegalArgumentException if the options contradict each other
     */
    DataSource source(long seed) {
        DataFormat f = DataFormat.byName(format);
        CsvOptions csv = f != DataFormat.CSV ? null : new CsvOptions(header, skipLines, delimiterChar(),
                labelColumns == null || labelColumns.isEmpty() ? List.of("-1") : labelColumns,
                featureColumns, clientColumn);
        return new DataSource(f, data, train, trainLabels, test, testLabels, testFraction, seed, Task.byName(task),
                csv, channels, Scaling.byName(scale));
    }

    /** A short description for a command's first line, such as {@code csv digits.csv.gz (classification)}. */
    String describe() {
        if (isFashionMnist()) {
            return "Fashion-MNIST in " + data;
        }
        List<String> parts = new ArrayList<>();
        parts.add(format + " " + train);
        if (test != null) {
            parts.add("test " + test);
        } else if (testFraction > 0) {
            parts.add(String.format(java.util.Locale.ROOT, "test fraction %.3g", testFraction));
        }
        return String.join(", ", parts) + " (" + task + (scale.equals("none") ? "" : ", " + scale + " scaling") + ")";
    }
}
