package io.fedge.aggregation.robust;

import io.fedge.aggregation.SampledStrategy;
import io.fedge.aggregation.Sampling;
import io.fedge.core.model.GlobalModel;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A strategy that samples clients like FedAvg and aggregates with a Byzantine-robust
 * {@link RobustRule}, which needs every update of the round on its own: median, trimmed mean,
 * Krum, Multi-Krum, Bulyan. Each round's updates are held in an {@link UpdateStore}, at most
 * {@code budget} of them on the heap and the rest in a memory-mapped spill file in
 * {@code spillDirectory}. It cannot run under secure aggregation, which hides the single updates
 * ({@link #supportsSecureAggregation} stays false). Stateless between rounds; immutable.
 */
public final class RobustStrategy extends SampledStrategy {
    /** Updates held on the heap when not configured. */
    public static final int DEFAULT_BUDGET = 16;

    private final String name;
    private final RobustRule rule;
    private final int budget;
    private final Path spillDirectory;

    /**
     * @param budget updates held on the heap, at least 1
     * @param spillDirectory where spill files are created
     */
    public RobustStrategy(String name, Sampling sampling, RobustRule rule, int budget, Path spillDirectory) {
        super(sampling);
        this.name = Objects.requireNonNull(name, "name");
        this.rule = Objects.requireNonNull(rule, "rule");
        if (budget < 1) {
            throw new IllegalArgumentException("budget must be at least 1: " + budget);
        }
        this.budget = budget;
        this.spillDirectory = Objects.requireNonNull(spillDirectory, "spillDirectory");
    }

    /** With the default budget, spilling to {@code java.io.tmpdir}. */
    public RobustStrategy(String name, Sampling sampling, RobustRule rule) {
        this(name, sampling, rule, DEFAULT_BUDGET, UpdateStore.defaultSpillDirectory());
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * At least the fewest updates the rule can aggregate (Krum {@code f + 3}, Bulyan
     * {@code 4f + 3}), so that a round with fewer does not start and one that ends with fewer
     * does not count.
     */
    @Override
    public int minAcceptedUpdates() {
        int n = 1;
        while (n < 1_000_000 && rule.refusal(n).isPresent()) {
            n++;
        }
        return Math.max(sampling.minAcceptedUpdates(), n);
    }

    public RobustRule rule() {
        return rule;
    }

    public int budget() {
        return budget;
    }

    public Path spillDirectory() {
        return spillDirectory;
    }

    @Override
    public RobustAggregation beginFit(long round, GlobalModel current) {
        return new RobustAggregation(name, round, current, rule, budget, spillDirectory);
    }

    @Override
    public String toString() {
        return name + "[" + rule + ", budget " + budget + ", spill to " + spillDirectory + ", " + sampling + "]";
    }
}
