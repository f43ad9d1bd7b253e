package io.fedge.aggregation.strategies;

import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;
import io.fedge.aggregation.robust.RobustRule;
import io.fedge.aggregation.robust.RobustStrategy;
import io.fedge.aggregation.robust.UpdateStore;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The parameters every store-based robust strategy takes ({@code budget}, {@code spill_dir}) and {@code f}. */
final class RobustParameters {
    /** The largest {@code f} accepted: far beyond any fleet, and 4f + 3 stays an int. */
    static final int MAX_F = 1_000_000;

    static final StrategyFactory.Parameter BUDGET = new StrategyFactory.Parameter("budget",
            String.valueOf(RobustStrategy.DEFAULT_BUDGET),
            "updates held on the heap, at least 1; the rest of the round's updates spill to a memory-mapped file");
    static final StrategyFactory.Parameter SPILL_DIR = new StrategyFactory.Parameter("spill_dir",
            UpdateStore.defaultSpillDirectory().toString(),
            "an existing, writable directory for the spill files (default java.io.tmpdir)");

    private RobustParameters() {
    }

    /** The {@code f} parameter; {@code needs} says how many updates the rule then needs. */
    static StrategyFactory.Parameter f(String needs) {
        return new StrategyFactory.Parameter("f", "1", "Byzantine updates tolerated, in [0, " + MAX_F + "]; needs " + needs);
    }

    /** {@code own}, then budget, spill_dir, momentum and bn. */
    static List<StrategyFactory.Parameter> with(StrategyFactory.Parameter... own) {
        List<StrategyFactory.Parameter> all = new ArrayList<>(List.of(own));
        all.add(BUDGET);
        all.add(SPILL_DIR);
        all.add(LocalMomentum.PARAMETER);
        all.add(BatchNormParameter.PARAMETER);
        return List.copyOf(all);
    }

    static int f(StrategyParameters p) {
        return p.integer("f", 0, MAX_F);
    }

    /** The strategy {@code name} with {@code rule}, its budget, spill directory and local momentum from {@code p}. */
    static RobustStrategy strategy(String name, Sampling sampling, StrategyParameters p, RobustRule rule) {
        int budget = p.integer("budget", 1, Integer.MAX_VALUE);
        String dir = p.text("spill_dir");
        Path path;
        try {
            path = Path.of(dir);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("strategy " + name + ": spill_dir is not a path: '" + dir + "'");
        }
        if (!Files.isDirectory(path) || !Files.isWritable(path)) {
            throw new IllegalArgumentException("strategy " + name + ": spill_dir must be an existing, writable directory, got '"
                    + dir + "'");
        }
        return new RobustStrategy(name, BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p), rule, budget, path);
    }
}
