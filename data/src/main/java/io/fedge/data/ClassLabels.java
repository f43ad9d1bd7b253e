package io.fedge.data;

import io.fedge.core.metrics.Task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One class per example: the class names, in output order, and each example's class index.
 * Immutable and thread-safe.
 */
public final class ClassLabels implements Targets {
    private final List<String> names;
    private final int[] labels;

    /**
     * @param names the class names, distinct, at least one
     * @param labels each example's class, an index into {@code names}; copied
     * @throws IllegalArgumentException if a name repeats or a label is out of range
     */
    public ClassLabels(List<String> names, int[] labels) {
        this.names = List.copyOf(names);
        if (this.names.isEmpty()) {
            throw new IllegalArgumentException("a classification needs at least one class name");
        }
        if (new java.util.HashSet<>(this.names).size() != this.names.size()) {
            throw new IllegalArgumentException("class names repeat: " + this.names);
        }
        this.labels = Objects.requireNonNull(labels, "labels").clone();
        for (int i = 0; i < this.labels.length; i++) {
            if (this.labels[i] < 0 || this.labels[i] >= this.names.size()) {
                throw new IllegalArgumentException("label " + this.labels[i] + " of example " + i + " is not a class in [0, "
                        + this.names.size() + ")");
            }
        }
    }

    /** Labels whose names are {@code "0" .. "classes-1"}: integer labels such as IDX and NumPy files carry. */
    public static ClassLabels numbered(int classes, int[] labels) {
        List<String> names = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) {
            names.add(Integer.toString(c));
        }
        return new ClassLabels(names, labels);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public Task task() {
        return Task.CLASSIFICATION;
    }

    @Override
    public List<String> names() {
        return names;
    }

    /** The class index of example {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** Every example's class index (a copy). */
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public ClassLabels select(int[] indices) {
        int[] out = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = labels[Objects.checkIndex(indices[i], labels.length)];
        }
        return new ClassLabels(names, out);
    }

    /**
     * The same labels against a longer class list that holds every name of this one (the union of a
     * training and a test set's classes).
     *
     * @throws IllegalArgumentException if a class of this list is missing from {@code all}
     */
    public ClassLabels remap(List<String> all) {
        Map<String, Integer> index = new HashMap<>();
        for (int c = 0; c < all.size(); c++) {
            index.put(all.get(c), c);
        }
        int[] to = new int[names.size()];
        for (int c = 0; c < names.size(); c++) {
            Integer k = index.get(names.get(c));
            if (k == null) {
                throw new IllegalArgumentException("class '" + names.get(c) + "' is not among " + all);
            }
            to[c] = k;
        }
        int[] out = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = to[labels[i]];
        }
        return new ClassLabels(all, out);
    }

    @Override
    public void writeRow(int i, float[] row, int offset) {
        row[offset + labels[i]] = 1f;
    }
}
