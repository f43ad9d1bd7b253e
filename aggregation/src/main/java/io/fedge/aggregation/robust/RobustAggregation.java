package io.fedge.aggregation.robust;

import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.core.model.GlobalModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One round of a {@link RobustStrategy}: every accepted update goes into an {@link UpdateStore}
 * (the first {@code budget} on the heap, the rest spilled to a memory-mapped file), and
 * {@link #finish} applies the rule to all of them. Memory: {@code budget × P} floats of heap plus
 * the spill file's mapped pages, and during {@code finish} the rule's working set (a block buffer,
 * the result, for Krum and Bulyan {@code n²} doubles).
 *
 * <p>{@link #finish} closes the store, deleting its spill file, whatever its outcome. An
 * aggregation abandoned before {@code finish} must be {@link #close closed} to delete the file
 * at once (else it goes when the JVM exits). When the rule cannot aggregate the updates it got
 * (too few for its {@code f}), {@code finish} logs one line why and returns empty: the round
 * fails and the model is kept. Not thread-safe, like every {@link FitAggregation}.
 */
public final class RobustAggregation implements FitAggregation, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RobustAggregation.class);

    private final String name;
    private final long round;
    private final GlobalModel current;
    private final RobustRule rule;
    private final UpdateStore store;
    private boolean finished;
    private String refusal;
    private int spilled;

    RobustAggregation(String name, long round, GlobalModel current, RobustRule rule, int budget, Path spillDirectory) {
        this.name = name;
        this.round = round;
        this.current = Objects.requireNonNull(current, "current");
        this.rule = Objects.requireNonNull(rule, "rule");
        this.store = new UpdateStore(current.parameterCount(), budget, spillDirectory);
    }

    @Override
    public void accept(FitResult result, UpdateChunks delta) {
        if (finished) {
            throw new IllegalStateException("round " + round + " of " + name + " is finished");
        }
        store.add(result, delta);
        spilled = store.spilled();
    }

    @Override
    public int accepted() {
        return store.size();
    }

    /** How many of the accepted updates were spilled to the file. */
    public int spilled() {
        return spilled;
    }

    /** The spill file while the aggregation holds one (not after {@link #finish} or {@link #close}). */
    public Optional<Path> spillFile() {
        return store.spillFile();
    }

    /** Why the last {@link #finish} kept the model, if it did. */
    public Optional<String> refusal() {
        return Optional.ofNullable(refusal);
    }

    /** The next parameters, or empty (logged) if the rule refuses this many updates; closes the store. */
    @Override
    public Optional<float[]> finish(List<Failure> failures) {
        if (finished) {
            throw new IllegalStateException("round " + round + " of " + name + " is finished");
        }
        finished = true;
        try {
            int n = store.size();
            if (n == 0) {
                refusal = "no updates";
                return Optional.empty();
            }
            Optional<String> why = rule.refusal(n);
            if (why.isPresent()) {
                refusal = why.get();
                log.warn("round {}: {} keeps the model: {}", round, name, refusal);
                return Optional.empty();
            }
            return Optional.of(rule.aggregate(store, current.parameters()));
        } finally {
            store.close();
        }
    }

    /** Deletes the spill file and drops the updates; idempotent, and done by {@link #finish}. */
    @Override
    public void close() {
        finished = true;
        store.close();
    }

    @Override
    public String toString() {
        return "RobustAggregation[" + name + ", round " + round + ", " + store + "]";
    }
}
