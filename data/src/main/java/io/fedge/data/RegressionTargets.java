package io.fedge.data;

import io.fedge.core.metrics.Task;

import java.util.List;
import java.util.Objects;

/**
 * One or more real-valued targets per example, row-major ({@code [n, T]}). Immutable and thread-safe.
 */
public final class RegressionTargets implements Targets {
    private final List<String> names;
    private final float[] values;

    /**
     * @param names the target names, at least one
     * @param values {@code n * names.size()} finite values, example after example; not copied (the
     *     caller hands them over)
     * @throws IllegalArgumentException if the length is not a multiple of the target count or a value is not finite
     */
    public RegressionTargets(List<String> names, float[] values) {
        this.names = List.copyOf(names);
        if (this.names.isEmpty()) {
            throw new IllegalArgumentException("a regression needs at least one target");
        }
        this.values = Objects.requireNonNull(values, "values");
        if (values.length % this.names.size() != 0) {
            throw new IllegalArgumentException(values.length + " target values are not a multiple of "
                    + this.names.size() + " targets");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException("target " + this.names.get(i % this.names.size()) + " of example "
                        + i / this.names.size() + " is " + values[i]);
            }
        }
    }

    @Override
    public int size() {
        return values.length / names.size();
    }

    @Override
    public Task task() {
        return Task.REGRESSION;
    }

    @Override
    public List<String> names() {
        return names;
    }

    /** Target {@code t} of example {@code i}. */
    public float value(int i, int t) {
        return values[i * names.size() + Objects.checkIndex(t, names.size())];
    }

    @Override
    public RegressionTargets select(int[] indices) {
        int w = names.size();
        float[] out = new float[indices.length * w];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(values, Objects.checkIndex(indices[i], size()) * w, out, i * w, w);
        }
        return new RegressionTargets(names, out);
    }

    @Override
    public void writeRow(int i, float[] row, int offset) {
        System.arraycopy(values, i * names.size(), row, offset, names.size());
    }
}
