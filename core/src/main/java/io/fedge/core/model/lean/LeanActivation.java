package io.fedge.core.model.lean;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/**
 * The activations of hidden layers the lean path computes itself, on the heap, in place. Each
 * derivative is written in terms of the activation's output (which is all the backward pass
 * keeps): ReLU's is 1 where the output is positive (DL4J's too: 0 at 0), tanh's {@code 1 - a^2},
 * the sigmoid's {@code a (1 - a)}.
 */
enum LeanActivation {
    IDENTITY,
    RELU,
    TANH,
    SIGMOID;

    /** The lean activation for DL4J's {@code fn}, or null if the lean path does not compute it. */
    static LeanActivation of(IActivation fn) {
        if (fn instanceof ActivationReLU relu) {
            boolean plain = relu.getMax() == null && (relu.getThreshold() == null || relu.getThreshold() == 0.0)
                    && (relu.getNegativeSlope() == null || relu.getNegativeSlope() == 0.0);
            return plain && fn.getClass() == ActivationReLU.class ? RELU : null;
        }
        if (fn.getClass() == ActivationIdentity.class) {
            return IDENTITY;
        }
        if (fn.getClass() == ActivationTanH.class) {
            return TANH;
        }
        if (fn.getClass() == ActivationSigmoid.class) {
            return SIGMOID;
        }
        return null;
    }

    /** {@code a[i] = f(a[i])} for the first {@code n} values. */
    void apply(float[] a, int n) {
        switch (this) {
            case IDENTITY -> {
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    a[i] = Math.max(a[i], 0f);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    a[i] = (float) Math.tanh(a[i]);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    a[i] = (float) (1.0 / (1.0 + Math.exp(-a[i])));
                }
            }
        }
    }

    /** {@code d[i] *= f'(z[i])}, with {@code a[i] = f(z[i])} the forward's output, for the first {@code n} values. */
    void backprop(float[] a, float[] d, int n) {
        switch (this) {
            case IDENTITY -> {
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    d[i] = a[i] > 0f ? d[i] : 0f;
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    d[i] *= 1f - a[i] * a[i];
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    d[i] *= a[i] * (1f - a[i]);
                }
            }
        }
    }
}
