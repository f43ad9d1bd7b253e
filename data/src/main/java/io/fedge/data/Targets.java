package io.fedge.data;

import io.fedge.core.metrics.Task;

import java.util.List;

/**
 * What each example of a data set is labelled with: a class ({@link ClassLabels}) or real-valued
 * targets ({@link RegressionTargets}). Immutable and thread-safe.
 */
public sealed interface Targets permits ClassLabels, RegressionTargets {
    /** How many examples are labelled. */
    int size();

    /** Classification or regression. */
    Task task();

    /** The class names (classification) or the target names (regression), in output order. */
    List<String> names();

    /** The width of one example's label row: the number of classes (one-hot) or of targets. */
    default int width() {
        return names().size();
    }

    /** The targets of the examples at {@code indices}, in that order. */
    Targets select(int[] indices);

    /** Writes example {@code i}'s label row (one-hot, or the targets) into {@code row} at {@code offset}. */
    void writeRow(int i, float[] row, int offset);
}
