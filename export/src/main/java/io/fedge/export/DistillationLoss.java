package io.fedge.export;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Knowledge distillation's loss (Hinton et al. 2015) for a student whose output layer emits raw
 * logits {@code z} (identity activation):
 * {@code alpha * T^2 * CE(p_T, softmax(z / T)) + (1 - alpha) * CE(y, softmax(z))}, where
 * {@code p_T} is the teacher's output softened at temperature {@code T} and {@code y} the hard label.
 * The labels array carries both, side by side: {@code [p_T | y]}, twice the number of classes.
 * Its gradient with respect to the logits is
 * {@code alpha * T * (softmax(z / T) - p_T) + (1 - alpha) * (softmax(z) - y)}.
 */
public final class DistillationLoss implements ILossFunction {
    private final double temperature;
    private final double alpha;

    public DistillationLoss(double temperature, double alpha) {
        if (!(temperature > 0) || !(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("need temperature > 0 and alpha in [0, 1]: " + temperature + ", " + alpha);
        }
        this.temperature = temperature;
        this.alpha = alpha;
    }

    private INDArray[] split(INDArray labels, INDArray logits) {
        long k = logits.size(1);
        if (labels.size(1) != 2 * k) {
            throw new IllegalArgumentException("distillation labels are [soft | hard], " + 2 * k + " columns, not "
                    + labels.size(1));
        }
        INDArray soft = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, k));
        INDArray hard = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(k, 2 * k));
        return new INDArray[] {soft, hard};
    }

    private static INDArray softmax(INDArray z) {
        INDArray shifted = z.subColumnVector(z.max(1));
        INDArray e = Transforms.exp(shifted, true);
        return e.diviColumnVector(e.sum(1));
    }

    private static INDArray logSoftmax(INDArray z) {
        INDArray shifted = z.subColumnVector(z.max(1));
        INDArray lse = Transforms.log(Transforms.exp(shifted, true).sum(1), false);
        return shifted.subiColumnVector(lse);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray z = activationFn.getActivation(preOutput.dup(), true);
        INDArray[] parts = split(labels, z);
        INDArray softTerm = parts[0].mul(logSoftmax(z.div(temperature))).sum(1).muli(-alpha * temperature * temperature);
        INDArray hardTerm = parts[1].mul(logSoftmax(z)).sum(1).muli(-(1 - alpha));
        INDArray score = softTerm.addi(hardTerm);
        if (mask != null) {
            score.muli(mask.reshape(score.shape()));
        }
        return score.reshape(score.length(), 1);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        INDArray scores = computeScoreArray(labels, preOutput, activationFn, mask);
        double sum = scores.sumNumber().doubleValue();
        return average ? sum / scores.size(0) : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray z = activationFn.getActivation(preOutput.dup(), true);
        INDArray[] parts = split(labels, z);
        INDArray grad = softmax(z.div(temperature)).subi(parts[0]).muli(alpha * temperature)
                .addi(softmax(z).subi(parts[1]).muli(1 - alpha));
        INDArray dLdPre = activationFn.backprop(preOutput.dup(), grad).getFirst();
        if (mask != null) {
            dLdPre.muliColumnVector(mask.reshape(mask.length(), 1).castTo(dLdPre.dataType()));
        }
        return dLdPre;
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public String name() {
        return "distillation(T=" + temperature + ", alpha=" + alpha + ")";
    }

    @Override
    public String toString() {
        return name();
    }

    /** The teacher's probabilities softened to temperature {@code t}: {@code p^(1/t)}, renormalized. */
    public static INDArray soften(INDArray probabilities, double t) {
        INDArray p = Transforms.max(probabilities, 1e-30, true);
        INDArray powered = Transforms.pow(p, 1.0 / t, false);
        return powered.diviColumnVector(powered.sum(1));
    }

    /** {@code [soft | hard]} labels for {@link DistillationLoss}. */
    public static INDArray labels(INDArray soft, INDArray hard) {
        return Nd4j.hstack(soft, hard);
    }
}
