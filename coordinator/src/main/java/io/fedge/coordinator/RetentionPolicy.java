package io.fedge.coordinator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which model files the coordinator keeps on disk: the newest {@code latest} versions (training
 * resumes from the newest, deltas are sent against the recent ones), the {@code best} versions
 * by accuracy (rollback targets), and every version that carries a label ({@code stable},
 * {@code canary}), whatever their age. The registry keeps every version's lineage and
 * evaluations forever; only files are deleted.
 *
 * @param latest how many of the newest versions keep their files (at least 1)
 * @param best   how many of the most accurate versions keep their files besides (0 or more)
 */
public record RetentionPolicy(int latest, int best) {
    /** The newest five versions and the best one. */
    public static final RetentionPolicy DEFAULT = new RetentionPolicy(5, 1);

    public RetentionPolicy {
        if (latest < 1) {
            throw new IllegalArgumentException("at least the newest model version must be kept, not " + latest);
        }
        if (best < 0) {
            throw new IllegalArgumentException("the number of best versions kept must be >= 0, not " + best);
        }
    }

    /**
     * The versions among {@code entries} whose files are kept now and should be deleted, oldest
     * first. Versions without an accuracy never count as best.
     *
     * @param labelled versions that carry a label
     */
    public List<Long> toDelete(Collection<ModelEntry> entries, Set<Long> labelled) {
        List<ModelEntry> withFiles = new ArrayList<>();
        for (ModelEntry e : entries) {
            if (e.fileKept()) {
                withFiles.add(e);
            }
        }
        Set<Long> keep = new HashSet<>(labelled);
        withFiles.stream().sorted(Comparator.comparingLong(ModelEntry::version).reversed()).limit(latest)
                .forEach(e -> keep.add(e.version()));
        withFiles.stream().filter(e -> !Double.isNaN(e.decisiveAccuracy()))
                .sorted(Comparator.comparingDouble(ModelEntry::decisiveAccuracy).reversed()
                        .thenComparing(Comparator.comparingLong(ModelEntry::version).reversed()))
                .limit(best).forEach(e -> keep.add(e.version()));
        List<Long> out = new ArrayList<>();
        withFiles.stream().map(ModelEntry::version).filter(v -> !keep.contains(v)).sorted().forEach(out::add);
        return out;
    }
}
