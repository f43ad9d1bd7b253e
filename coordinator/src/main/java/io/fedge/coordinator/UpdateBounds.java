package io.fedge.coordinator;

/**
 * What the coordinator lets one client's update weigh and move, so that no client can take over
 * the model by lying about its data or scaling its update (docs/robustness.md):
 *
 * <ul>
 *   <li>{@code maxExamplesPerClient}: a client declaring more examples at registration is refused;
 *       an update may claim no more than its client declared (and never this maximum);
 *   <li>{@code maxWeightShare}: in a round, one update weighs at most this fraction of the
 *       examples the round's selected clients declared, so even an honest-looking count cannot
 *       dominate the mean (1 turns the cap off);
 *   <li>{@code clip}: the L2 norm bound each update is clipped to before it is folded in;
 *   <li>{@code maxModelStep}: a new global model whose distance from the current one exceeds
 *       this multiple of {@code max(1, |current|)}, or that holds a non-finite value, is not
 *       published: the round is discarded and the model kept.
 * </ul>
 */
public record UpdateBounds(long maxExamplesPerClient, double maxWeightShare, NormClip clip, double maxModelStep) {
    public UpdateBounds {
        if (maxExamplesPerClient <= 0) {
            throw new IllegalArgumentException("maxExamplesPerClient must be positive: " + maxExamplesPerClient);
        }
        if (!(maxWeightShare > 0 && maxWeightShare <= 1)) {
            throw new IllegalArgumentException("maxWeightShare must be in (0, 1]: " + maxWeightShare);
        }
        java.util.Objects.requireNonNull(clip, "clip");
        if (!(maxModelStep > 0) || Double.isNaN(maxModelStep)) {
            throw new IllegalArgumentException("maxModelStep must be positive: " + maxModelStep);
        }
    }

    /**
     * The defaults: at most 10 million examples per client, no update above half of a round's
     * declared examples, adaptive clipping at 3 times the median norm of the previous round
     * (the current model's norm before the first round), and model steps of at most 10 times the
     * model's norm.
     */
    public static UpdateBounds defaults() {
        return new UpdateBounds(10_000_000L, 0.5, NormClip.adaptive(3.0), 10.0);
    }

    /** These bounds with another clipping policy. */
    public UpdateBounds withClip(NormClip clip) {
        return new UpdateBounds(maxExamplesPerClient, maxWeightShare, clip, maxModelStep);
    }

    /** These bounds with another per-client example maximum. */
    public UpdateBounds withMaxExamplesPerClient(long max) {
        return new UpdateBounds(max, maxWeightShare, clip, maxModelStep);
    }

    /** These bounds with another weight share cap. */
    public UpdateBounds withMaxWeightShare(double share) {
        return new UpdateBounds(maxExamplesPerClient, share, clip, maxModelStep);
    }
}
