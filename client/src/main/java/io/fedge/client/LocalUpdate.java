package io.fedge.client;

/**
 * The outcome of local training: the update and what the coordinator is told about it.
 *
 * @param delta trained parameters minus the global parameters they started from; under SCAFFOLD
 *        followed by the control-variate delta {@code c_i+ - c_i} (twice the parameters)
 * @param numExamples local examples trained on (per epoch)
 * @param meanLoss example-weighted mean training loss over the last epoch
 * @param durationMillis wall time of the training
 * @param controlVariate SCAFFOLD's new client control variate {@code c_i+}, which the client keeps
 *        once the coordinator accepts the update; null without SCAFFOLD
 */
public record LocalUpdate(float[] delta, long numExamples, double meanLoss, long durationMillis, float[] controlVariate) {
    /** An update without a control variate. */
    public LocalUpdate(float[] delta, long numExamples, double meanLoss, long durationMillis) {
        this(delta, numExamples, meanLoss, durationMillis, null);
    }
}
