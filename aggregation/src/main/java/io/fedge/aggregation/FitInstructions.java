package io.fedge.aggregation;

import io.fedge.core.LocalTraining;

import java.util.Objects;

/**
 * What each selected client is told to do in a training round.
 *
 * @param localEpochs passes over the local data
 * @param batchSize mini-batch size
 * @param learningRate SGD step size
 * @param codec the codec the update must be encoded with
 * @param local momentum, client-side corrections and client-side privacy ({@link LocalTraining#NONE}: plain SGD)
 */
public record FitInstructions(int localEpochs, int batchSize, double learningRate, String codec, LocalTraining local) {
    /** Plain SGD. */
    public FitInstructions(int localEpochs, int batchSize, double learningRate, String codec) {
        this(localEpochs, batchSize, learningRate, codec, LocalTraining.NONE);
    }

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
        Objects.requireNonNull(local, "local");
    }

    /** The same with another codec. */
    public FitInstructions withCodec(String other) {
        return new FitInstructions(localEpochs, batchSize, learningRate, other, local);
    }

    /** The same with other local training. */
    public FitInstructions withLocal(LocalTraining other) {
        return new FitInstructions(localEpochs, batchSize, learningRate, codec, other);
    }
}
