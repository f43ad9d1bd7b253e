package io.fedge.data;

import java.util.List;
import java.util.Objects;

/**
 * Which training examples each client holds: one sorted array of indices into the training set per
 * client, and the clients' ids where the data named them (a natural partition). Immutable and thread-safe.
 *
 * @param ids each client's id from the data, or null when the partition is drawn (clients are numbered)
 * @param indices for each client, the sorted indices of its examples; no index is given twice
 */
public record ClientPartition(List<String> ids, int[][] indices) {
    public ClientPartition {
        Objects.requireNonNull(indices, "indices");
        indices = indices.clone();
        if (indices.length == 0) {
            throw new IllegalArgumentException("a partition needs at least one client");
        }
        if (ids != null) {
            ids = List.copyOf(ids);
            if (ids.size() != indices.length) {
                throw new IllegalArgumentException(ids.size() + " client ids for " + indices.length + " clients");
            }
        }
    }

    public int clients() {
        return indices.length;
    }

    /** Client {@code k}'s example indices (a copy). */
    public int[] of(int k) {
        return indices[k].clone();
    }

    /** Client {@code k}'s id from the data, or empty when clients are only numbered. */
    public java.util.Optional<String> id(int k) {
        return ids == null ? java.util.Optional.empty() : java.util.Optional.of(ids.get(k));
    }
}
