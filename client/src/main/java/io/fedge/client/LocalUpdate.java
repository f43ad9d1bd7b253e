package io.fedge.client;

/**
 * The outcome of local training: the update and what the coordinator is told about it.
 *
 * @param delta trained parameters minus the parameters they started from; under SCAFFOLD
 *        followed by the control-variate delta {@code c_i+ - c_i} (twice the parameters); under
 *        FedBN zero at every BatchNorm coordinate
 * @param numExamples local examples trained on (per epoch)
 * @param meanLoss example-weighted mean training loss over the last epoch
 * @param durationMillis wall time of the training
 * @param controlVariate SCAFFOLD's new client control variate {@code c_i+}, which the client keeps
 *        once the coordinator accepts the update; null without SCAFFOLD
 * @param batchNorm under FedBN, the trained values of the network's BatchNorm coordinates, which the
 *        client keeps once the coordinator accepts the update; null without FedBN
 * @param contributors how many devices' updates this one aggregates: 1 for a device's own, more for
 *        a gateway's partial aggregate (then {@code delta} is their example-weighted mean and
 *        {@code numExamples} their total)
 */
public record LocalUpdate(float[] delta, long numExamples, double meanLoss, long durationMillis, float[] controlVariate,
                          float[] batchNorm, long contributors) {
    public LocalUpdate {
        if (contributors < 1) {
            throw new IllegalArgumentException("contributors must be at least 1: " + contributors);
        }
    }

    /** A device's own update. */
    public LocalUpdate(float[] delta, long numExamples, double meanLoss, long durationMillis, float[] controlVariate,
                       float[] batchNorm) {
        this(delta, numExamples, meanLoss, durationMillis, controlVariate, batchNorm, 1);
    }

    /** An update without a control variate or BatchNorm values to keep. */
    public LocalUpdate(float[] delta, long numExamples, double meanLoss, long durationMillis) {
        this(delta, numExamples, meanLoss, durationMillis, null, null);
    }

    /** An update without BatchNorm values to keep. */
    public LocalUpdate(float[] delta, long numExamples, double meanLoss, long durationMillis, float[] controlVariate) {
        this(delta, numExamples, meanLoss, durationMillis, controlVariate, null);
    }
}
