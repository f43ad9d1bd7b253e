package io.fedge.aggregation;

import java.util.List;
import java.util.Objects;

/**
 * What the coordinator knows of a connected client when it plans a round.
 *
 * @param id the client's id
 * @param numExamples how many local examples the client reported
 * @param codecs the update codecs it can encode, by name
 * @param features the protocol features it announced (training corrections, privacy, secure aggregation)
 */
public record ClientInfo(String id, long numExamples, List<String> codecs, List<String> features) {
    /** A client that announced no features. */
    public ClientInfo(String id, long numExamples, List<String> codecs) {
        this(id, numExamples, codecs, List.of());
    }

    public ClientInfo {
        Objects.requireNonNull(id, "id");
        codecs = List.copyOf(codecs);
        features = List.copyOf(features);
        if (numExamples < 0) {
            throw new IllegalArgumentException("numExamples must be non-negative: " + numExamples);
        }
    }
}
