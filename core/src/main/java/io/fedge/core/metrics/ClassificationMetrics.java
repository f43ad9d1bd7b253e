package io.fedge.core.metrics;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A classifier's metrics from its confusion matrix and its summed loss: accuracy, mean loss, and
 * per class precision, recall, F1 and support, and their macro average (macro-F1).
 *
 * <p>Conventions, as scikit-learn's {@code precision_recall_fscore_support} with
 * {@code zero_division=0}: a class never predicted has precision 0, a class that never occurs has
 * recall 0, F1 is 0 when precision and recall are both 0, and macro-F1 is the mean F1 over the classes
 * that occur or are predicted at least once (sklearn's default label set, {@code unique(y_true ∪ y_pred)}).
 *
 * <p>Immutable and thread-safe.
 */
public final class ClassificationMetrics implements Metrics {
    /**
     * Up to this many classes {@link #toMap()} lists each class's metrics and the confusion matrix;
     * above it only {@code macro_f1}, so that a round record of a 1,000-class model stays small.
     */
    public static final int MAX_DETAILED_CLASSES = 50;

    private final long[][] confusion;
    private final double lossSum;
    private final long examples;

    private ClassificationMetrics(long[][] confusion, double lossSum) {
        this.confusion = confusion;
        this.lossSum = lossSum;
        long n = 0;
        for (long[] row : confusion) {
            for (long v : row) {
                n += v;
            }
        }
        this.examples = n;
    }

    /**
     * The metrics of predictions against labels.
     *
     * @param actual each example's true class, in {@code [0, classes)}
     * @param predicted each example's predicted class, in {@code [0, classes)}
     * @param classes the number of classes, at least 1
     * @param lossSum the loss summed over the examples (not averaged)
     * @throws IllegalArgumentException if the arrays differ in length or hold a class out of range
     */
    public static ClassificationMetrics of(int[] actual, int[] predicted, int classes, double lossSum) {
        Objects.requireNonNull(actual, "actual");
        Objects.requireNonNull(predicted, "predicted");
        if (actual.length != predicted.length) {
            throw new IllegalArgumentException(actual.length + " labels but " + predicted.length + " predictions");
        }
        long[][] m = empty(classes);
        for (int i = 0; i < actual.length; i++) {
            m[checkClass(actual[i], classes, "label", i)][checkClass(predicted[i], classes, "prediction", i)]++;
        }
        return new ClassificationMetrics(m, lossSum);
    }

    /**
     * The metrics of a confusion matrix ({@code confusion[actual][predicted]} counts), copied.
     *
     * @throws IllegalArgumentException if it is not square or holds a negative count
     */
    public static ClassificationMetrics ofConfusion(long[][] confusion, double lossSum) {
        Objects.requireNonNull(confusion, "confusion");
        long[][] m = empty(confusion.length);
        for (int a = 0; a < m.length; a++) {
            if (confusion[a].length != m.length) {
                throw new IllegalArgumentException("confusion matrix row " + a + " has " + confusion[a].length
                        + " entries, expected " + m.length);
            }
            for (int p = 0; p < m.length; p++) {
                if (confusion[a][p] < 0) {
                    throw new IllegalArgumentException("negative count " + confusion[a][p] + " at " + a + "," + p);
                }
                m[a][p] = confusion[a][p];
            }
        }
        return new ClassificationMetrics(m, lossSum);
    }

    private static long[][] empty(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be positive: " + classes);
        }
        return new long[classes][classes];
    }

    private static int checkClass(int c, int classes, String what, int i) {
        if (c < 0 || c >= classes) {
            throw new IllegalArgumentException(what + " " + c + " of example " + i + " is not in [0, " + classes + ")");
        }
        return c;
    }

    public int classes() {
        return confusion.length;
    }

    /** How many examples of class {@code actual} were predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        return confusion[actual][predicted];
    }

    /** A copy of the confusion matrix, {@code [actual][predicted]}. */
    public long[][] confusion() {
        long[][] copy = new long[confusion.length][];
        for (int a = 0; a < copy.length; a++) {
            copy[a] = confusion[a].clone();
        }
        return copy;
    }

    @Override
    public long examples() {
        return examples;
    }

    @Override
    public Task task() {
        return Task.CLASSIFICATION;
    }

    /** How many examples carry class {@code c}. */
    public long support(int c) {
        long s = 0;
        for (long v : confusion[c]) {
            s += v;
        }
        return s;
    }

    /** How many examples were predicted as class {@code c}. */
    public long predictedCount(int c) {
        long s = 0;
        for (long[] row : confusion) {
            s += row[c];
        }
        return s;
    }

    /** Of the examples predicted as {@code c}, the fraction that are {@code c}; 0 if none was. */
    public double precision(int c) {
        long predicted = predictedCount(c);
        return predicted == 0 ? 0 : (double) confusion[c][c] / predicted;
    }

    /** Of the examples of class {@code c}, the fraction predicted as {@code c}; 0 if there are none. */
    public double recall(int c) {
        long support = support(c);
        return support == 0 ? 0 : (double) confusion[c][c] / support;
    }

    /** The harmonic mean of precision and recall of class {@code c}; 0 when both are 0. */
    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** The mean F1 over the classes that occur or are predicted; NaN without examples. */
    public double macroF1() {
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < confusion.length; c++) {
            if (support(c) > 0 || predictedCount(c) > 0) {
                sum += f1(c);
                counted++;
            }
        }
        return counted == 0 ? Double.NaN : sum / counted;
    }

    @Override
    public double accuracy() {
        if (examples == 0) {
            return Double.NaN;
        }
        long correct = 0;
        for (int c = 0; c < confusion.length; c++) {
            correct += confusion[c][c];
        }
        return (double) correct / examples;
    }

    /** The loss summed over the examples. */
    public double lossSum() {
        return lossSum;
    }

    @Override
    public double loss() {
        return examples == 0 ? Double.NaN : lossSum / examples;
    }

    @Override
    public ClassificationMetrics merge(Metrics other) {
        if (!(other instanceof ClassificationMetrics o) || o.classes() != classes()) {
            throw new IllegalArgumentException("cannot merge the metrics of " + classes() + " classes with " + other);
        }
        long[][] m = confusion();
        for (int a = 0; a < m.length; a++) {
            for (int p = 0; p < m.length; p++) {
                m[a][p] += o.confusion[a][p];
            }
        }
        return new ClassificationMetrics(m, lossSum + o.lossSum);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Keys: {@code macro_f1}; with at most {@value #MAX_DETAILED_CLASSES} classes also, for each
     * class {@code c}, {@code precision/c}, {@code recall/c}, {@code f1/c}, {@code support/c}, and for
     * each cell {@code confusion/actual/predicted}.
     */
    @Override
    public Map<String, Double> toMap() {
        Map<String, Double> m = new TreeMap<>();
        m.put("macro_f1", macroF1());
        if (classes() <= MAX_DETAILED_CLASSES) {
            for (int c = 0; c < classes(); c++) {
                m.put("precision/" + c, precision(c));
                m.put("recall/" + c, recall(c));
                m.put("f1/" + c, f1(c));
                m.put("support/" + c, (double) support(c));
                for (int p = 0; p < classes(); p++) {
                    m.put("confusion/" + c + "/" + p, (double) confusion[c][p]);
                }
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "ClassificationMetrics[" + classes() + " classes, " + examples + " examples]";
    }
}
