package io.fedge.aggregation;

import java.util.Objects;

/**
 * What each selected client is told to do in a training round.
 *
 * @param localEpochs passes over the local data
 * @param batchSize mini-batch size
 * @param learningRate SGD step size
 * @param codec the codec the update must be encoded with
 */
public record FitInstructions(int localEpochs, int batchSize, double learningRate, String codec) {
    public FitInstructions {
        if (localEpochs <= 0) {
            throw new IllegalArgumentException("localEpochs must be positive: " + localEpochs);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive and finite: " + learningRate);
        }
        Objects.requireNonNull(codec, "codec");
    }
}
