package io.fedge.aggregation;

import java.util.List;
import java.util.Objects;

/**
 * What the coordinator knows of a connected client when it plans a round.
 *
 * @param id the client's id
 * @param numExamples how many local examples the client reported
 * @param codecs the update codecs it can encode, by name
 */
public record ClientInfo(String id, long numExamples, List<String> codecs) {
    public ClientInfo {
        Objects.requireNonNull(id, "id");
        codecs = List.copyOf(codecs);
        if (numExamples < 0) {
            throw new IllegalArgumentException("numExamples must be non-negative: " + numExamples);
        }
    }
}
