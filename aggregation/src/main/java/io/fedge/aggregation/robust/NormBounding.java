package io.fedge.aggregation.robust;

import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.aggregation.WeightedMean;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Norm bounding (Sun et al. 2019, "Can you really backdoor federated learning?"): each update is
 * scaled down to L2 norm at most {@code bound} ({@code u · min(1, bound / ||u||)}), then the
 * scaled updates are averaged weighted by their example counts, as FedAvg does. It needs no store:
 * each update is replayed twice, once for its norm and once folded, scaled, into a
 * {@link WeightedMean}, so memory is one double per parameter however many clients report.
 *
 * <p>The weights are the clients' example counts as the coordinator passes them (it may cap
 * them); a bound on the norm does not bound a client that claims many examples.
 */
public final class NormBounding implements FitAggregation {
    private final float[] base;
    private final double bound;
    private final WeightedMean mean;
    private int clipped;

    /**
     * @param base the current parameters, which the aggregate is added to (kept, not copied)
     * @param bound the largest L2 norm an update keeps, positive and finite
     */
    public NormBounding(float[] base, double bound) {
        this.base = Objects.requireNonNull(base, "base");
        if (!(bound > 0) || !Double.isFinite(bound)) {
            throw new IllegalArgumentException("bound must be positive and finite: " + bound);
        }
        this.bound = bound;
        this.mean = new WeightedMean(base.length);
    }

    /** The factor that brings an update of L2 norm {@code norm} within {@code bound}: 1 when it is. */
    public static double scale(double norm, double bound) {
        return norm > bound ? bound / norm : 1.0;
    }

    /**
     * The L2 norm of an update of {@code length} values, summed in double.
     *
     * @throws IllegalArgumentException if a chunk lies outside {@code [0, length)}
     */
    public static double norm(UpdateChunks delta, int length) {
        double[] sumSquares = {0};
        delta.forEach((offset, values, n) -> {
            if (offset < 0 || n < 0 || (long) offset + n > length) {
                throw new IllegalArgumentException("chunk [" + offset + ", " + ((long) offset + n)
                        + ") lies outside the update's [0, " + length + ")");
            }
            Objects.checkFromIndexSize(0, n, values.length);
            for (int i = 0; i < n; i++) {
                sumSquares[0] += (double) values[i] * values[i];
            }
        });
        return Math.sqrt(sumSquares[0]);
    }

    @Override
    public void accept(FitResult result, UpdateChunks delta) {
        double norm = norm(delta, base.length); // checks every chunk before anything is folded
        if (!Double.isFinite(norm)) {
            throw new IllegalArgumentException("update of " + result.clientId() + " has no finite norm: " + norm);
        }
        double s = scale(norm, bound);
        double weight = result.numExamples();
        delta.forEach((offset, values, n) -> mean.addChunk(weight * s, offset, values, n));
        mean.addWeight(weight);
        if (s < 1.0) {
            clipped++;
        }
    }

    @Override
    public int accepted() {
        return mean.count();
    }

    /** How many accepted updates were scaled down. */
    public int clipped() {
        return clipped;
    }

    @Override
    public Optional<float[]> finish(List<Failure> failures) {
        return mean.count() == 0 ? Optional.empty() : Optional.of(mean.addMeanTo(base));
    }
}
