package io.fedge.data;

import io.fedge.core.metrics.Task;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A training set and the test set a model trained on it is evaluated on: same shape, same task,
 * same classes (in the same order) or targets. Immutable and thread-safe.
 *
 * @param train the examples the clients split among them
 * @param test the held-out examples, or null where none was given (a client needs none)
 */
public record TrainTest(Examples train, Examples test) {
    public TrainTest {
        Objects.requireNonNull(train, "train");
        if (test != null) {
            if (!train.shape().equals(test.shape())) {
                throw new IllegalArgumentException("the test examples are " + test.shape() + ", the training examples "
                        + train.shape());
            }
            if (train.task() != test.task() || !train.outputNames().equals(test.outputNames())) {
                throw new IllegalArgumentException("the test set's " + test.task().label() + " outputs "
                        + test.outputNames() + " differ from the training set's " + train.outputNames());
            }
        }
    }

    /**
     * A pair whose classes are the training set's, in its order: the test set is relabelled against
     * them. The training set alone decides the classes, so a client that reads only its training data
     * and the coordinator that also reads the test set agree on the model's outputs.
     *
     * @throws IllegalArgumentException if shapes, tasks or target names differ, the test set has a
     *     class the training set lacks, or a classification has fewer than 2 classes
     */
    public static TrainTest aligned(Examples train, Examples test) {
        if (test == null || train.task() == Task.REGRESSION) {
            return checked(new TrainTest(train, test));
        }
        if (test.task() != Task.CLASSIFICATION) {
            throw new IllegalArgumentException("the training set is a classification, the test set a regression");
        }
        List<String> classes = train.outputNames();
        for (String c : test.outputNames()) {
            if (!classes.contains(c)) {
                throw new IllegalArgumentException("the test set has class '" + c + "', which the training set lacks "
                        + "(its classes: " + abbreviated(classes) + ")");
            }
        }
        return checked(new TrainTest(train, relabel(test, classes)));
    }

    private static String abbreviated(List<String> names) {
        return names.size() <= 20 ? names.toString() : names.subList(0, 20) + " and " + (names.size() - 20) + " more";
    }

    private static TrainTest checked(TrainTest pair) {
        if (pair.train.task() == Task.CLASSIFICATION && pair.train.outputs() < 2) {
            throw new IllegalArgumentException("a classification needs at least 2 classes, the data has "
                    + pair.train.outputNames());
        }
        return pair;
    }

    private static Examples relabel(Examples e, List<String> classes) {
        return e.outputNames().equals(classes) ? e : e.withTargets(e.classLabels().remap(classes));
    }

    /**
     * Splits {@code all} into a training and a test set: a seeded random {@code testFraction} of the
     * examples (at least one, at most all but one) is the test set; both keep the examples' order.
     *
     * @throws IllegalArgumentException if {@code testFraction} is not in (0, 1) or there are fewer than 2 examples
     */
    public static TrainTest split(Examples all, double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("the test fraction must be in (0, 1): " + testFraction);
        }
        int n = all.size();
        if (n < 2) {
            throw new IllegalArgumentException("cannot split " + n + " example into a training and a test set");
        }
        int testCount = (int) Math.min(n - 1, Math.max(1, Math.round(testFraction * n)));
        int[] order = Examples.range(0, n);
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] test = Arrays.copyOf(order, testCount);
        int[] train = Arrays.copyOfRange(order, testCount, n);
        Arrays.sort(test);
        Arrays.sort(train);
        return checked(new TrainTest(all.select(train), all.select(test)));
    }
}
