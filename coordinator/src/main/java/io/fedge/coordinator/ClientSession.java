package io.fedge.coordinator;

import io.fedge.aggregation.ClientInfo;
import io.netty.channel.Channel;

import java.util.List;

/**
 * One registered client connection. Immutable apart from what its handler keeps elsewhere.
 */
record ClientSession(String clientId, Channel channel, long numExamples, List<String> codecs, List<String> features,
                     java.util.concurrent.atomic.AtomicLong modelVersion) {
    ClientSession {
        codecs = List.copyOf(codecs);
        features = List.copyOf(features);
        java.util.Objects.requireNonNull(modelVersion, "modelVersion");
    }

    ClientInfo info() {
        return new ClientInfo(clientId, numExamples, codecs, features);
    }

    boolean isActive() {
        return channel.isActive();
    }
}
