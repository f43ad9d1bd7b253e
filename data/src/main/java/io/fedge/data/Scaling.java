package io.fedge.data;

import java.util.List;
import java.util.Locale;

/**
 * How features are rescaled before training, per feature, with statistics of the training set alone
 * (the test set is scaled with the same numbers): {@link #NONE}; {@link #MINMAX}, to [0, 1] by the
 * training set's minimum and maximum; {@link #STANDARD}, to zero mean and unit variance (population
 * standard deviation). A constant feature is only shifted. Tables of raw measurements (a tumour's
 * area in the thousands beside a smoothness of 0.1) need one of them before plain SGD trains on them.
 *
 * <p>In a simulation every client shares the training set's statistics; in a deployment every
 * client that reads the same file computes the same ones, but clients holding only their own data
 * would have to agree on them.
 */
public enum Scaling {
    /** Features as read. */
    NONE,
    /** {@code (x - min) / (max - min)}. */
    MINMAX,
    /** {@code (x - mean) / std}. */
    STANDARD;

    /** The names {@link #byName} accepts. */
    public static final List<String> NAMES = List.of("none", "minmax", "standard");

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The scaling called {@code name} (any case).
     *
     * @throws IllegalArgumentException naming the allowed values otherwise
     */
    public static Scaling byName(String name) {
        for (Scaling s : values()) {
            if (s.label().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scaling '" + name + "', expected one of " + NAMES);
    }

    /**
     * {@code train} and {@code test} scaled with {@code train}'s statistics.
     *
     * @throws IllegalArgumentException for 8-bit features, which are already in [0, 1]
     */
    public TrainTest apply(TrainTest sets) {
        if (this == NONE) {
            return sets;
        }
        Examples train = sets.train();
        if (train.byteFeatures()) {
            throw new IllegalArgumentException("the features are 8-bit values, already scaled to [0, 1]; --scale "
                    + label() + " is for tables of raw numbers");
        }
        int f = Math.toIntExact(train.shape().size());
        double[] shift = new double[f];
        double[] factor = new double[f];
        for (int j = 0; j < f; j++) {
            if (this == MINMAX) {
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < train.size(); i++) {
                    min = Math.min(min, train.feature(i, j));
                    max = Math.max(max, train.feature(i, j));
                }
                shift[j] = min;
                factor[j] = max > min ? 1 / (max - min) : 1;
            } else {
                double sum = 0;
                for (int i = 0; i < train.size(); i++) {
                    sum += train.feature(i, j);
                }
                double mean = sum / train.size();
                double squares = 0;
                for (int i = 0; i < train.size(); i++) {
                    double d = train.feature(i, j) - mean;
                    squares += d * d;
                }
                double std = Math.sqrt(squares / train.size());
                shift[j] = mean;
                factor[j] = std > 0 ? 1 / std : 1;
            }
        }
        return new TrainTest(train.scaled(shift, factor), sets.test() == null ? null : sets.test().scaled(shift, factor));
    }
}
