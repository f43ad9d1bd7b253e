package io.fedge.data;

import java.util.List;
import java.util.Objects;

/**
 * The client each example belongs to, as the data names it (a CSV column, a folder level): the
 * natural partition of LEAF-style data sets, a client per user. Immutable and thread-safe.
 *
 * @param ids the distinct client ids, sorted ({@link Names#sorted})
 * @param clientOf each example's client, an index into {@code ids}
 */
public record NaturalClients(List<String> ids, int[] clientOf) {
    public NaturalClients {
        ids = List.copyOf(ids);
        Objects.requireNonNull(clientOf, "clientOf");
        clientOf = clientOf.clone();
        for (int i = 0; i < clientOf.length; i++) {
            if (clientOf[i] < 0 || clientOf[i] >= ids.size()) {
                throw new IllegalArgumentException("client " + clientOf[i] + " of example " + i + " is not in [0, "
                        + ids.size() + ")");
            }
        }
    }

    /** The clients of the examples at {@code indices}, in that order (the id list is kept). */
    public NaturalClients select(int[] indices) {
        int[] out = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = clientOf[Objects.checkIndex(indices[i], clientOf.length)];
        }
        return new NaturalClients(ids, out);
    }

    /** Example {@code i}'s client index. */
    public int client(int i) {
        return clientOf[i];
    }

    public int size() {
        return clientOf.length;
    }
}
