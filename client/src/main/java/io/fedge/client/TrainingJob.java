package io.fedge.client;

import io.fedge.core.LocalTraining;
import io.fedge.core.model.GlobalModel;

/**
 * One training task as {@link LocalWork} receives it, its model downloaded and verified.
 *
 * @param taskSeed the seed the task carries (the same for every client of the round)
 * @param seed this client's seed for it: the task's mixed with the client id
 * @param serverControl SCAFFOLD's server control variate, or null
 * @param clientControl SCAFFOLD's client control variate {@code c_i}, or null
 * @param keptBatchNorm under FedBN, the BatchNorm values this client keeps, or null
 */
public record TrainingJob(long round, GlobalModel model, int localEpochs, int batchSize, double learningRate,
                          long taskSeed, long seed, LocalTraining local, float[] serverControl, float[] clientControl,
                          float[] keptBatchNorm, long deadlineUnixMs) {
}
