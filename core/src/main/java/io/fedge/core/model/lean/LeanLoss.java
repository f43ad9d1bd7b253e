package io.fedge.core.model.lean;

import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * The output activations and losses the lean path computes itself, as DL4J 1.0.0-M2.1's
 * {@code LossMCXENT} and {@code LossMSE} do: the score is the mean over the batch of each
 * example's loss, the gradient with respect to the output layer's pre-activations is summed
 * over the batch (DL4J's updater divides it by the batch size).
 *
 * <ul>
 *   <li>softmax with multi-class cross-entropy: {@code p = softmax(z)}, loss
 *       {@code -sum_j y_j log(clip(p_j))} (DL4J clips to {@code [eps, 1 - eps]} in the score only),
 *       gradient {@code p - y};
 *   <li>identity with mean squared error: loss {@code sum_j (p_j - y_j)^2 / C}, gradient
 *       {@code 2 (p - y) / C}.
 * </ul>
 *
 * Arrays are column-major {@code [n, C]}, as the output layer's buffers ({@code z[i + n * j]});
 * labels row after row ({@code y[i * C + j]}).
 */
final class LeanLoss {
    private final boolean softmax;
    private final double clipEps;

    private LeanLoss(boolean softmax, double clipEps) {
        this.softmax = softmax;
        this.clipEps = clipEps;
    }

    /** The lean loss for an output layer's activation and loss, or null if the lean path has none for them. */
    static LeanLoss of(org.nd4j.linalg.activations.IActivation activation, ILossFunction loss) {
        if (loss instanceof LossMCXENT x && loss.getClass() == LossMCXENT.class
                && activation.getClass() == ActivationSoftmax.class && x.getWeights() == null) {
            return new LeanLoss(true, x.getSoftmaxClipEps());
        }
        if (loss instanceof LossMSE m && loss.getClass() == LossMSE.class
                && activation.getClass() == ActivationIdentity.class && m.getWeights() == null) {
            return new LeanLoss(false, 0);
        }
        return null;
    }

    String describe() {
        return softmax ? "softmax/mcxent" : "identity/mse";
    }

    /**
     * Turns the pre-activations {@code z} into the outputs in place, writes the gradient into
     * {@code d} and answers the mean loss over the {@code n} examples.
     */
    double lossAndGradient(float[] z, float[] y, float[] d, int n, int classes) {
        double total = 0;
        if (softmax) {
            for (int i = 0; i < n; i++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < classes; j++) {
                    max = Math.max(max, z[i + n * j]);
                }
                float sum = 0;
                for (int j = 0; j < classes; j++) {
                    float e = (float) Math.exp(z[i + n * j] - max);
                    z[i + n * j] = e;
                    sum += e;
                }
                float inverse = 1f / sum;
                double loss = 0;
                for (int j = 0; j < classes; j++) {
                    float p = z[i + n * j] * inverse;
                    z[i + n * j] = p;
                    float label = y[i * classes + j];
                    d[i + n * j] = p - label;
                    if (label != 0f) {
                        double clipped = clipEps > 0 ? Math.min(Math.max(p, clipEps), 1 - clipEps) : p;
                        loss -= label * Math.log(clipped);
                    }
                }
                total += loss;
            }
        } else {
            float scale = 2f / classes;
            for (int i = 0; i < n; i++) {
                double loss = 0;
                for (int j = 0; j < classes; j++) {
                    float diff = z[i + n * j] - y[i * classes + j];
                    d[i + n * j] = diff * scale;
                    loss += (double) diff * diff;
                }
                total += loss / classes;
            }
        }
        return total / n;
    }
}
