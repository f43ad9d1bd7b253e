package io.fedge.coordinator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Every global model version of the federation with its lineage and evaluations, and the labels
 * ({@link #STABLE}, {@link #CANARY}) that name versions: the in-memory view that the admin API,
 * the dashboard and the CLI read. The {@link CoordinatorStore} holds the durable copy; whoever
 * changes the registry writes the store first ({@link ModelLifecycle}).
 *
 * <p>Thread-safe: reads return immutable snapshots; listeners are told of each change on the
 * changing thread and must return quickly.
 */
public final class ModelRegistry {
    /** The version released to inference devices. */
    public static final String STABLE = "stable";
    /** The version on trial on part of the fleet. */
    public static final String CANARY = "canary";

    private final TreeMap<Long, ModelEntry> entries = new TreeMap<>();
    private final TreeMap<String, Long> labels = new TreeMap<>();
    private final List<Consumer<ModelRegistry>> listeners = new CopyOnWriteArrayList<>();
    private final List<ComparisonResult> comparisons = new ArrayList<>();
    private final List<EdgeExportEntry> edgeExports = new ArrayList<>();

    /** Restores entries and labels read back from the store. */
    synchronized void restore(List<ModelEntry> stored, Map<String, Long> storedLabels) {
        entries.clear();
        for (ModelEntry e : stored) {
            entries.put(e.version(), e);
        }
        labels.clear();
        labels.putAll(storedLabels);
    }

    synchronized void restoreComparisons(List<ComparisonResult> stored) {
        comparisons.clear();
        comparisons.addAll(stored);
    }

    synchronized void restoreEdgeExports(List<EdgeExportEntry> stored) {
        edgeExports.clear();
        edgeExports.addAll(stored);
    }

    void edgeExported(EdgeExportEntry e) {
        synchronized (this) {
            edgeExports.add(e);
        }
        changed();
    }

    /** The edge models exported from {@code version}, oldest first. */
    public synchronized List<EdgeExportEntry> edgeExportsOf(long version) {
        return edgeExports.stream().filter(e -> e.version() == version).toList();
    }

    void compared(ComparisonResult c) {
        synchronized (this) {
            comparisons.add(c);
        }
        changed();
    }

    /** Every federated A/B evaluation, oldest first. */
    public synchronized List<ComparisonResult> comparisons() {
        return List.copyOf(comparisons);
    }

    void add(ModelEntry e) {
        synchronized (this) {
            if (!entries.isEmpty() && e.version() <= entries.lastKey() && !entries.containsKey(e.version())) {
                throw new IllegalArgumentException("model version " + e.version() + " is older than the newest, "
                        + entries.lastKey());
            }
            entries.put(e.version(), e);
        }
        changed();
    }

    void label(String label, long version) {
        synchronized (this) {
            if (!entries.containsKey(version)) {
                throw new IllegalArgumentException("no model version " + version);
            }
            labels.put(label, version);
        }
        changed();
    }

    void unlabel(String label) {
        boolean removed;
        synchronized (this) {
            removed = labels.remove(label) != null;
        }
        if (removed) {
            changed();
        }
    }

    void filesDeleted(List<Long> versions) {
        if (versions.isEmpty()) {
            return;
        }
        synchronized (this) {
            for (long v : versions) {
                ModelEntry e = entries.get(v);
                if (e != null) {
                    entries.put(v, e.withoutFile());
                }
            }
        }
        changed();
    }

    /** Every version, oldest first. */
    public synchronized List<ModelEntry> entries() {
        return List.copyOf(entries.values());
    }

    public synchronized Optional<ModelEntry> entry(long version) {
        return Optional.ofNullable(entries.get(version));
    }

    /** The newest version, if any is recorded. */
    public synchronized Optional<ModelEntry> newest() {
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.lastEntry().getValue());
    }

    /** Label to version. */
    public synchronized Map<String, Long> labels() {
        return Collections.unmodifiableMap(new TreeMap<>(labels));
    }

    /** The version {@code label} names. */
    public synchronized Optional<ModelEntry> labelled(String label) {
        Long v = labels.get(label);
        return v == null ? Optional.empty() : Optional.ofNullable(entries.get(v));
    }

    /** The labels naming {@code version}, sorted. */
    public synchronized List<String> labelsOf(long version) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : labels.entrySet()) {
            if (e.getValue() == version) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    synchronized Set<Long> labelledVersions() {
        return new HashSet<>(labels.values());
    }

    /** Calls {@code listener} after every change. */
    public void addListener(Consumer<ModelRegistry> listener) {
        listeners.add(listener);
    }

    private void changed() {
        for (Consumer<ModelRegistry> l : listeners) {
            try {
                l.accept(this);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(ModelRegistry.class).warn("a registry listener failed", e);
            }
        }
    }
}
