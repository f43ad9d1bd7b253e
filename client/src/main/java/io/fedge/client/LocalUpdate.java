package io.fedge.client;

/**
 * The outcome of local training: the update (trained minus global parameters) and what the
 * coordinator is told about it.
 *
 * @param delta trained parameters minus the global parameters they started from
 * @param numExamples local examples trained on (per epoch)
 * @param meanLoss example-weighted mean training loss over the last epoch
 * @param durationMillis wall time of the training
 */
public record LocalUpdate(float[] delta, long numExamples, double meanLoss, long durationMillis) {
}
