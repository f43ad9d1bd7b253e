package io.fedge.data;

import io.fedge.core.data.FashionMnist;
import io.fedge.core.metrics.Task;
import io.fedge.data.format.CsvOptions;
import io.fedge.data.format.CsvTable;
import io.fedge.data.format.IdxData;
import io.fedge.data.format.ImageFolders;
import io.fedge.data.format.NpyData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a federation's data comes from and how to read it: a training set, and a test set from its
 * own file or split off the training set. The default, {@link #fashionMnist(Path)}, is Fashion-MNIST's
 * IDX files in a folder, its 60,000 training and 10,000 test images.
 *
 * <ul>
 *   <li>{@code idx}: {@code train} is an examples file, {@code trainLabels} its labels (by default the
 *       examples file's name with {@code images} replaced by {@code labels} and {@code idx3} by
 *       {@code idx1}, as MNIST names them); without {@code train}, Fashion-MNIST from {@code dataDir}.</li>
 *   <li>{@code images}: {@code train} and {@code test} are folders.</li>
 *   <li>{@code csv}: files read with {@code csv}'s options.</li>
 *   <li>{@code npy}: {@code train} and {@code trainLabels} (and {@code test}, {@code testLabels}) are {@code .npy} files.</li>
 * </ul>
 * Without a {@code test} file, {@code testFraction > 0} holds out a seeded random fraction of the
 * training set ({@link TrainTest#split}); with neither there is no test set.
 *
 * @param format the file format
 * @param dataDir the Fashion-MNIST folder (used by {@code idx} without {@code train})
 * @param train the training file or folder, or null for Fashion-MNIST
 * @param trainLabels the training labels file ({@code idx}, {@code npy}), or null for the default
 * @param test the test file or folder, or null
 * @param testLabels the test labels file, or null for the default
 * @param testFraction the fraction of the training set held out as the test set when {@code test} is null; 0 for none
 * @param splitSeed seeds that split
 * @param task classification or regression ({@code csv} and {@code npy}; the others hold classes)
 * @param csv how to read a CSV table (ignored by the other formats)
 * @param channels image channels (1 or 3) for {@code images}, or null to take the first image's
 * @param scaling how features are rescaled, with the training set's statistics
 *
 * <p>Serializable (paths as their strings, checked again when read back): a simulation engine
 * sends it to the machines that host clients, which read their own copy of the data.
 */
public record DataSource(DataFormat format, Path dataDir, Path train, Path trainLabels, Path test, Path testLabels,
                         double testFraction, long splitSeed, Task task, CsvOptions csv, Integer channels,
                         Scaling scaling) implements java.io.Serializable {
    public DataSource {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(scaling, "scaling");
        Objects.requireNonNull(task, "task");
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new IllegalArgumentException("the test fraction must be in [0, 1): " + testFraction);
        }
        if (test != null && testFraction > 0) {
            throw new IllegalArgumentException("give a test set (--test) or a test fraction (--test-fraction), not both");
        }
        if (testLabels != null && test == null) {
            throw new IllegalArgumentException("test labels (--test-labels) without a test set (--test)");
        }
        if (trainLabels != null && train == null) {
            throw new IllegalArgumentException("training labels (--train-labels) without a training set (--train)");
        }
        if (train == null && format != DataFormat.IDX) {
            throw new IllegalArgumentException("--data-format " + format.label() + " needs the training data: --train PATH");
        }
        if (train == null && (test != null || testFraction > 0)) {
            throw new IllegalArgumentException("Fashion-MNIST (--data) comes with its own test set; --test and "
                    + "--test-fraction go with --train");
        }
        if (task == Task.REGRESSION && (format == DataFormat.IDX || format == DataFormat.IMAGES)) {
            throw new IllegalArgumentException("--data-format " + format.label() + " holds class labels; a regression "
                    + "reads csv or npy");
        }
        if (format == DataFormat.NPY && (trainLabels == null || test != null && testLabels == null)) {
            throw new IllegalArgumentException("--data-format npy reads features and labels from separate files: "
                    + "give --train-labels" + (test != null ? " and --test-labels" : ""));
        }
        if (format == DataFormat.CSV) {
            Objects.requireNonNull(csv, "csv");
        }
        if (channels != null && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("--channels must be 1 (grey) or 3 (RGB): " + channels);
        }
        if (format == DataFormat.IDX && train == null) {
            Objects.requireNonNull(dataDir, "dataDir");
            if (scaling != Scaling.NONE) {
                throw new IllegalArgumentException("Fashion-MNIST's pixels are already scaled to [0, 1]; --scale is "
                        + "for tables of raw numbers");
            }
        }
    }

    /** Serialized as {@link Form}: a {@link Path} is not serializable. */
    private Object writeReplace() {
        return new Form(format, text(dataDir), text(train), text(trainLabels), text(test), text(testLabels),
                testFraction, splitSeed, task, csv, channels, scaling);
    }

    private static String text(Path p) {
        return p == null ? null : p.toString();
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }

    /** A {@link DataSource} in serialized form; read back through the canonical constructor's checks. */
    private record Form(DataFormat format, String dataDir, String train, String trainLabels, String test,
                        String testLabels, double testFraction, long splitSeed, Task task, CsvOptions csv,
                        Integer channels, Scaling scaling) implements java.io.Serializable {
        private Object readResolve() {
            return new DataSource(format, path(dataDir), path(train), path(trainLabels), path(test), path(testLabels),
                    testFraction, splitSeed, task, csv, channels, scaling);
        }
    }

    /** Fashion-MNIST from the IDX files in {@code dir}. */
    public static DataSource fashionMnist(Path dir) {
        return new DataSource(DataFormat.IDX, dir, null, null, null, null, 0, 0, Task.CLASSIFICATION, null, null,
                Scaling.NONE);
    }

    /** Whether this is the default: Fashion-MNIST's own IDX files. */
    public boolean isFashionMnist() {
        return format == DataFormat.IDX && train == null;
    }

    /**
     * Reads the training set and the test set.
     *
     * @param withTest whether to read a separate test file ({@code false} for a client, which needs
     *     only its training data; a test fraction is still split off, so the training set is the one
     *     the whole federation splits)
     * @throws java.nio.file.NoSuchFileException naming a file or folder that is not there
     * @throws IOException if a file cannot be read, or Fashion-MNIST is not installed (the message says how)
     * @throws io.fedge.core.FedgeException ({@code MALFORMED}) naming the file and line of malformed data
     * @throws IllegalArgumentException if the sets do not match (shape, task, targets) or hold fewer than 2 classes
     */
    public TrainTest load(boolean withTest) throws IOException {
        if (isFashionMnist()) {
            Examples trainSet = IdxData.fashionMnist(dataDir, FashionMnist.Split.TRAIN);
            Examples testSet = withTest ? IdxData.fashionMnist(dataDir, FashionMnist.Split.TEST) : null;
            return TrainTest.aligned(trainSet, testSet);
        }
        Examples trainSet = read(train, trainLabels, true);
        if (testFraction > 0) {
            return scaling.apply(TrainTest.split(trainSet, testFraction, splitSeed));
        }
        Examples testSet = withTest && test != null ? read(test, testLabels, false) : null;
        return scaling.apply(TrainTest.aligned(trainSet, testSet));
    }

    private Examples read(Path data, Path labels, boolean training) throws IOException {
        return switch (format) {
            case IDX -> IdxData.read(data, labels != null ? labels : defaultIdxLabels(data));
            case IMAGES -> ImageFolders.read(data, channels);
            case CSV -> CsvTable.read(data, csv, task, training);
            case NPY -> NpyData.read(data, labels, task);
        };
    }

    /**
     * The labels file MNIST's naming gives an examples file: {@code images} replaced by
     * {@code labels}, {@code idx3} by {@code idx1} ({@code train-images-idx3-ubyte.gz} to
     * {@code train-labels-idx1-ubyte.gz}).
     *
     * @throws IllegalArgumentException if the name holds no {@code images}
     */
    public static Path defaultIdxLabels(Path examples) {
        String name = examples.getFileName().toString();
        if (!name.contains("images")) {
            throw new IllegalArgumentException("cannot derive the labels file of " + examples + " (its name has no "
                    + "'images' to replace by 'labels'): give it with --train-labels / --test-labels");
        }
        return examples.resolveSibling(name.replace("images", "labels").replace("idx3", "idx1"));
    }

    /** The source as it is written into a run's configuration (history.json). */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", format.label());
        if (isFashionMnist()) {
            m.put("dir", dataDir.toString());
            return m;
        }
        m.put("task", task.label());
        m.put("train", train.toString());
        if (trainLabels != null) {
            m.put("train_labels", trainLabels.toString());
        }
        if (test != null) {
            m.put("test", test.toString());
        }
        if (testLabels != null) {
            m.put("test_labels", testLabels.toString());
        }
        if (testFraction > 0) {
            m.put("test_fraction", testFraction);
            m.put("split_seed", splitSeed);
        }
        if (format == DataFormat.CSV) {
            m.put("header", csv.header());
            m.put("skip_lines", csv.skipLines());
            m.put("delimiter", String.valueOf(csv.delimiter()));
            m.put("label_columns", csv.labelColumns());
            m.put("feature_columns", csv.featureColumns());
            m.put("client_column", csv.clientColumn());
        }
        if (format == DataFormat.IMAGES) {
            m.put("channels", channels);
        }
        if (scaling != Scaling.NONE) {
            m.put("scaling", scaling.label());
        }
        return m;
    }
}
