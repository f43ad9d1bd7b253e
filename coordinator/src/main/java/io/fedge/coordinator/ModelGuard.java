package io.fedge.coordinator;

import java.util.Optional;

/**
 * The last check before a new global model is published: every parameter finite, and the step
 * from the current model no longer than {@code maxStep * max(1, |current|)} in L2 norm.
 * Clipping and weight caps already bound what honest arithmetic can produce; this catches what
 * they cannot (a strategy's bug, overflow), so that a bad model is never signed, sent or
 * checkpointed. Stateless.
 */
final class ModelGuard {
    private ModelGuard() {
    }

    /** Why {@code next} must not replace {@code current}, or empty if it may. */
    static Optional<String> refuse(float[] current, float[] next, double maxStep) {
        if (next.length != current.length) {
            return Optional.of("the new model has " + next.length + " parameters, the current one " + current.length);
        }
        double step = 0;
        double norm = 0;
        for (int i = 0; i < next.length; i++) {
            float v = next[i];
            if (!Float.isFinite(v)) {
                return Optional.of("parameter " + i + " of the new model is " + v);
            }
            double d = (double) v - current[i];
            step += d * d;
            norm += (double) current[i] * current[i];
        }
        double limit = maxStep * Math.max(1.0, Math.sqrt(norm));
        if (Math.sqrt(step) > limit) {
            return Optional.of(String.format(java.util.Locale.ROOT, "the new model is %.4g away from the current "
                    + "one, more than the bound %.4g (%.3g times max(1, |w|))", Math.sqrt(step), limit, maxStep));
        }
        return Optional.empty();
    }

    /** The L2 norm of {@code w}. */
    static double norm(float[] w) {
        double s = 0;
        for (float v : w) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }
}
