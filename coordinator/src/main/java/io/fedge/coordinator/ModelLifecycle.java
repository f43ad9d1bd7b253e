package io.fedge.coordinator;

import io.fedge.core.FedgeException;
import io.fedge.core.model.GlobalModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How model versions enter the {@link ModelRegistry} and move between labels: each published
 * version is recorded (durably with its round when there is a store), promoted to
 * {@link ModelRegistry#STABLE} automatically if the {@link PromotionGuard} lets it (unless
 * promotion is manual), and files past the {@link RetentionPolicy} are deleted. An administrator
 * promotes any kept version ({@link #promote}, guarded unless forced) or rolls training back to
 * one ({@link #requestRollback}): the round thread then publishes a copy of that version's
 * parameters under the next version number ({@link ModelEntry.Kind#ROLLBACK}), so versions only
 * ever grow and every client's cached version and delta stays valid, labels it stable, and the
 * next round trains from it.
 *
 * <p>The strategy's own state (server-optimizer moments, SCAFFOLD's control variate, the
 * privacy accountant) is not rolled back: privacy spent stays spent.
 *
 * <p>Thread-safe: the round thread records and applies, admin threads request.
 */
final class ModelLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ModelLifecycle.class);

    private final ModelRegistry registry;
    private final CoordinatorStore store;
    private final PromotionGuard guard;
    private final boolean autoPromote;
    private final String strategyName;
    private Long pendingRollback;
    /** An A/B evaluation waiting for the round boundary. */
    record ComparisonRequest(long id, long a, long b, int clients) {
    }

    private ComparisonRequest pendingComparison;
    /** Whether the edge releases own the stable label (a canary policy decides it, not each round). */
    private volatile boolean edgeManaged;

    /**
     * @param store       the durable copy, or null (labels then live in memory and rollback is refused)
     * @param autoPromote whether each new version is promoted to stable when the guard lets it
     */
    ModelLifecycle(ModelRegistry registry, CoordinatorStore store, PromotionGuard guard, boolean autoPromote,
                   String strategyName) {
        this.registry = registry;
        this.store = store;
        this.guard = guard;
        this.autoPromote = autoPromote;
        this.strategyName = strategyName;
    }

    ModelRegistry registry() {
        return registry;
    }

    /**
     * Loads the stored registry, or records {@code initial} as version 0's entry when nothing is
     * stored yet. Called once by the round thread before the rounds.
     */
    void start(GlobalModel initial) throws IOException {
        if (store != null) {
            Map.Entry<List<ModelEntry>, Map<String, Long>> stored = store.registry();
            registry.restore(stored.getKey(), stored.getValue());
            registry.restoreComparisons(store.comparisons());
            registry.restoreEdgeExports(store.edgeExports());
        }
        if (registry.newest().isEmpty() && initial.version() == 0) {
            ModelEntry e = new ModelEntry(0, -1, 0, ModelEntry.Kind.INITIAL, strategyName, "", 0,
                    System.currentTimeMillis(), "", store != null, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            registry.add(store != null ? store.commitVersion(initial, e, Map.of()) : e);
        }
    }

    /** The registry entry of a version a round published, before it is committed. */
    ModelEntry entryFor(RoundRecord r, GlobalModel published, long parent, String codec) {
        return new ModelEntry(published.version(), parent, r.round(), ModelEntry.Kind.ROUND, strategyName, codec,
                r.clients(), System.currentTimeMillis(), "", store != null, r.testAccuracy(), r.testLoss(),
                r.federatedAccuracy(), r.evaluationMetrics().getOrDefault("federated_loss", Double.NaN));
    }

    /** A committed round's version enters the registry; promoted if automatic promotion and the guard allow. */
    void committed(ModelEntry recorded) throws IOException {
        registry.add(recorded);
        boolean rollbackPending;
        synchronized (this) {
            rollbackPending = pendingRollback != null;
        }
        if (autoPromote && !rollbackPending && !edgeManaged) {
            synchronized (this) {
                ModelEntry stable = registry.labelled(ModelRegistry.STABLE).orElse(null);
                Optional<String> refused = guard.refuse(recorded, stable);
                if (refused.isPresent()) {
                    log.warn("model version {} not promoted to stable (stable stays version {}): {}",
                            recorded.version(), stable.version(), refused.get());
                } else {
                    label(ModelRegistry.STABLE, recorded.version());
                }
            }
        }
        prune();
    }

    /**
     * Makes {@code version} the stable one, refused when the guard finds it worse than the
     * current stable version (unless {@code force}), or when its file is gone.
     */
    synchronized AdminResult promote(long version, boolean force) {
        Optional<ModelEntry> e = registry.entry(version);
        if (e.isEmpty()) {
            return AdminResult.notFound(version);
        }
        ModelEntry candidate = e.get();
        ModelEntry stable = registry.labelled(ModelRegistry.STABLE).orElse(null);
        if (stable != null && stable.version() == version) {
            return AdminResult.done("version " + version + " is already stable");
        }
        if (store != null && !candidate.fileKept()) {
            return AdminResult.conflict("version " + version + " cannot be promoted: its model file was deleted by "
                    + "the retention policy");
        }
        Optional<String> refused = guard.refuse(candidate, stable);
        if (refused.isPresent() && !force) {
            return AdminResult.conflict("version " + version + " not promoted: " + refused.get()
                    + "; promote with force to override");
        }
        try {
            label(ModelRegistry.STABLE, version);
        } catch (IOException ex) {
            return AdminResult.conflict("version " + version + " not promoted: " + ex.getMessage());
        }
        String how = refused.isPresent() ? " (forced past the guard: " + refused.get() + ")" : "";
        log.info("model version {} promoted to stable by an administrator{}", version, how);
        return AdminResult.done("version " + version + " is stable" + how);
    }

    /**
     * Asks the round thread to continue training from {@code version}. Refused without a store
     * (no model files), for a version whose file is gone, or for the newest version itself.
     */
    synchronized AdminResult requestRollback(long version) {
        return requestRollback(version, Optional.empty());
    }

    /** {@link #requestRollback(long)}, refused with {@code ended} when no round boundary is coming. */
    synchronized AdminResult requestRollback(long version, Optional<AdminResult> ended) {
        Optional<ModelEntry> e = registry.entry(version);
        if (e.isEmpty()) {
            return AdminResult.notFound(version);
        }
        if (store == null) {
            return AdminResult.conflict("rollback needs the coordinator's state folder, where model files are kept "
                    + "(start it with a state folder)");
        }
        if (!e.get().fileKept()) {
            return AdminResult.conflict("cannot roll back to version " + version + ": its model file was deleted by "
                    + "the retention policy; versions with files: " + keptVersions());
        }
        long newest = registry.newest().map(ModelEntry::version).orElse(-1L);
        if (version == newest) {
            return AdminResult.conflict("version " + version + " is the newest version: there is nothing to roll "
                    + "back");
        }
        if (ended.isPresent()) {
            return ended.get();
        }
        String replaced = pendingRollback != null && pendingRollback != version
                ? " (replaces the pending rollback to version " + pendingRollback + ")" : "";
        pendingRollback = version;
        log.info("rollback to model version {} requested by an administrator{}", version, replaced);
        return AdminResult.accepted("rollback to version " + version + " accepted: the next round trains from a copy "
                + "of it, labelled stable" + replaced);
    }

    /** From now on the stable label is the edge releases' to move (a canary policy is configured). */
    void edgeManaged() {
        edgeManaged = true;
    }

    /** Labels {@code version} stable for the edge releases: the first edge model, or a promoted canary. */
    synchronized void labelStable(long version, String why) throws IOException {
        label(ModelRegistry.STABLE, version);
        log.info("model version {} is stable: {}", version, why);
        prune();
    }

    /** Labels {@code version} the canary. */
    synchronized void labelCanary(long version) throws IOException {
        label(ModelRegistry.CANARY, version);
    }

    /** Removes the canary label (the canary was decided). */
    synchronized void unlabelCanary() throws IOException {
        if (store != null) {
            store.putLabel(ModelRegistry.CANARY, -1);
        }
        registry.unlabel(ModelRegistry.CANARY);
        prune();
    }

    /**
     * Version {@code version} read back from its verified file, for an administrator's canary.
     *
     * @throws IllegalArgumentException when there is no such version or file
     */
    GlobalModel storedModel(long version) throws IOException {
        if (registry.entry(version).isEmpty()) {
            throw new IllegalArgumentException("no model version " + version + " in the registry");
        }
        if (store == null) {
            throw new IllegalArgumentException("a canary of an earlier version needs the coordinator's state folder");
        }
        try {
            return store.loadModel(version);
        } catch (FedgeException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /**
     * Asks the round thread to have {@code clients} sampled clients evaluate versions {@code a}
     * and {@code b} on their own data between two rounds. Refused without a store (the files of
     * earlier versions), for unknown versions or deleted files, and while another waits.
     */
    synchronized AdminResult requestComparison(long a, long b, int clients, Optional<AdminResult> ended) {
        if (a == b) {
            return AdminResult.conflict("an A/B evaluation needs two different versions, not " + a + " twice");
        }
        if (clients < 2 || clients > 10_000) {
            return AdminResult.conflict("an A/B evaluation needs 2 to 10000 clients, not " + clients);
        }
        for (long v : new long[] {a, b}) {
            Optional<ModelEntry> e = registry.entry(v);
            if (e.isEmpty()) {
                return AdminResult.notFound(v);
            }
            if (store == null || !e.get().fileKept()) {
                return AdminResult.conflict("cannot evaluate version " + v + ": " + (store == null
                        ? "no state folder holds model files" : "its model file was deleted by the retention policy"));
            }
        }
        if (ended.isPresent()) {
            return ended.get();
        }
        if (pendingComparison != null) {
            return AdminResult.conflict("A/B evaluation " + pendingComparison.id() + " is waiting; ask again after it");
        }
        long id = registry.comparisons().stream().mapToLong(ComparisonResult::id).max().orElse(0) + 1;
        pendingComparison = new ComparisonRequest(id, a, b, clients);
        log.info("A/B evaluation {} of versions {} and {} on {} clients requested by an administrator", id, a, b,
                clients);
        return AdminResult.accepted("A/B evaluation " + id + " of versions " + a + " and " + b + " on " + clients
                + " clients accepted: it runs when the round in flight ends");
    }

    /** The waiting A/B evaluation, taken off the queue (round thread). */
    synchronized Optional<ComparisonRequest> takeComparison() {
        ComparisonRequest r = pendingComparison;
        pendingComparison = null;
        return Optional.ofNullable(r);
    }

    /** Records an edge model exported from a version, durably and in the registry. */
    void edgeExported(EdgeExportEntry e) throws IOException {
        if (store != null) {
            store.putEdgeExport(e);
        }
        registry.edgeExported(e);
    }

    /** Records a finished A/B evaluation durably and in the registry. */
    void compared(ComparisonResult r) throws IOException {
        if (store != null) {
            store.putComparison(r);
        }
        registry.compared(r);
    }

    /** The model of {@code version} for an evaluation: {@code current} itself, or its verified stored file. */
    GlobalModel modelOf(long version, GlobalModel current) throws IOException {
        return version == current.version() ? current : store.loadModel(version);
    }

    /** Whether a rollback waits for the round boundary. */
    synchronized boolean rollbackPending() {
        return pendingRollback != null;
    }

    /**
     * Applies a pending rollback (round thread, between rounds): publishes a copy of the target's
     * parameters as the newest version, labelled stable, durably. Returns it, or empty when none
     * is pending.
     *
     * @param lastRound the last round attempted, recorded as the copy's round
     */
    Optional<GlobalModel> applyRollback(GlobalModel current, long lastRound) throws IOException {
        long target;
        synchronized (this) {
            if (pendingRollback == null) {
                return Optional.empty();
            }
            target = pendingRollback;
            pendingRollback = null;
        }
        ModelEntry source = registry.entry(target).orElseThrow();
        GlobalModel stored;
        try {
            stored = store.loadModel(target);
        } catch (FedgeException e) {
            log.error("rollback to model version {} failed, training goes on from version {}: {}", target,
                    current.version(), e.getMessage());
            return Optional.empty();
        }
        long version = Math.max(current.version(), registry.newest().map(ModelEntry::version).orElse(0L)) + 1;
        GlobalModel copy = current.withParameters(version, stored.parameters());
        ModelEntry entry = new ModelEntry(version, target, lastRound, ModelEntry.Kind.ROLLBACK, strategyName, "", 0,
                System.currentTimeMillis(), "", true, source.testAccuracy(), source.testLoss(),
                source.federatedAccuracy(), source.federatedLoss());
        ModelEntry recorded;
        synchronized (this) {
            recorded = store.commitVersion(copy, entry, Map.of(ModelRegistry.STABLE, version));
            registry.add(recorded);
            registry.label(ModelRegistry.STABLE, version);
        }
        prune();
        log.info("rolled back to model version {}: training continues from version {} (a copy of it), which is "
                + "stable", target, version);
        return Optional.of(copy);
    }

    private void label(String label, long version) throws IOException {
        if (store != null) {
            store.putLabel(label, version);
        }
        registry.label(label, version);
    }

    private void prune() throws IOException {
        if (store != null) {
            registry.filesDeleted(store.pruneModels(registry.labelledVersions()));
        }
    }

    private String keptVersions() {
        StringBuilder b = new StringBuilder();
        for (ModelEntry e : registry.entries()) {
            if (e.fileKept()) {
                b.append(b.isEmpty() ? "" : ", ").append(e.version());
            }
        }
        return b.isEmpty() ? "none" : b.toString();
    }
}
