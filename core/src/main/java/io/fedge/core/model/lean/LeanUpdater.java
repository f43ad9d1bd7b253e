package io.fedge.core.model.lean;

import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;

import java.nio.FloatBuffer;
import java.util.function.Supplier;

/**
 * The step of one parameter array from its gradient, as DL4J 1.0.0-M2.1's updaters (libnd4j's
 * updater kernels) take it, with {@code g} the minibatch's mean gradient and {@code t} the
 * network's iteration count:
 *
 * <pre>
 * Sgd        w -= lr g
 * Nesterovs  v' = mu v - lr g;  w -= mu v - (1 + mu) v'
 * Adam       m = b1 m + (1 - b1) g;  u = b2 u + (1 - b2) g^2;
 *            w -= a m / (sqrt(u) + eps),  a = lr sqrt(1 - b2^(t+1)) / (1 - b1^(t+1))  (eps if that is 0 or NaN)
 * NoOp       w -= g
 * </pre>
 *
 * ({@code NoOp} is how DL4J moves BatchNorm's running statistics, whose "gradient" is the step
 * itself and is not divided by the batch size: {@code g} is then the gradient as it stands.)
 *
 * The learning rate is read from DL4J's configuration at every step (fedge sets it per round).
 * Stateful updaters keep their state on the heap, one value (Nesterovs) or two (Adam) per
 * parameter, zero at the start and after {@link #reset}.
 */
abstract class LeanUpdater {
    /**
     * The updater for the configuration {@code current} gives (DL4J's, read again at every step), or
     * null if the lean path does not run it (or it has schedules).
     */
    static LeanUpdater of(Supplier<IUpdater> current, int length) {
        IUpdater config = current.get();
        if (config == null) {
            return null;
        }
        if (config.getClass() == Sgd.class) {
            Sgd s = (Sgd) config;
            return s.getLearningRateSchedule() != null ? null : new Plain(current);
        }
        if (config.getClass() == Nesterovs.class) {
            Nesterovs n = (Nesterovs) config;
            return n.getLearningRateSchedule() != null || n.getMomentumISchedule() != null ? null
                    : new Momentum(current, length);
        }
        if (config.getClass() == NoOp.class) {
            return new Unchanged(current);
        }
        if (config.getClass() == Adam.class) {
            Adam a = (Adam) config;
            return a.getLearningRateSchedule() != null ? null : new AdamStep(current, length);
        }
        return null;
    }

    private final Supplier<IUpdater> current;

    LeanUpdater(Supplier<IUpdater> current) {
        this.current = current;
    }

    /** DL4J's configuration now. */
    @SuppressWarnings("unchecked")
    final <T extends IUpdater> T config() {
        return (T) current.get();
    }

    /** The learning rate DL4J's configuration holds now. */
    final double learningRate() {
        return current.get().getLearningRate(0, 0);
    }

    /** Whether the step is {@code w -= lr g} alone (a BLAS axpy can take it). */
    boolean plain() {
        return false;
    }

    /** Forgets the state (a fresh local training). */
    void reset() {
    }

    /**
     * Steps the {@code length} parameters at {@code at} of {@code parameters} with the gradient at
     * the same place of {@code gradient} divided by {@code divisor}; {@code g} and {@code w} are
     * scratch of at least {@code length} values.
     */
    final void step(FloatBuffer parameters, FloatBuffer gradient, int at, int length, double divisor,
                    int iteration, float[] g, float[] w) {
        gradient.get(at, g, 0, length);
        parameters.get(at, w, 0, length);
        update(g, w, length, (float) (1.0 / divisor), iteration);
        parameters.put(at, w, 0, length);
    }

    /** {@code w -= step(g * inverse)} for the first {@code length} values, advancing the state. */
    abstract void update(float[] g, float[] w, int length, float inverse, int iteration);

    private static final class Plain extends LeanUpdater {
        Plain(Supplier<IUpdater> current) {
            super(current);
        }

        @Override
        boolean plain() {
            return true;
        }

        @Override
        void update(float[] g, float[] w, int length, float inverse, int iteration) {
            float lr = (float) learningRate();
            for (int i = 0; i < length; i++) {
                w[i] -= lr * (g[i] * inverse);
            }
        }
    }

    /** DL4J's {@code NoOp}: the gradient is the step. */
    private static final class Unchanged extends LeanUpdater {
        Unchanged(Supplier<IUpdater> current) {
            super(current);
        }

        @Override
        void update(float[] g, float[] w, int length, float inverse, int iteration) {
            for (int i = 0; i < length; i++) {
                w[i] -= g[i] * inverse;
            }
        }
    }

    private static final class Momentum extends LeanUpdater {
        private final float[] v;

        Momentum(Supplier<IUpdater> current, int length) {
            super(current);
            this.v = new float[length];
        }

        @Override
        void reset() {
            java.util.Arrays.fill(v, 0f);
        }

        @Override
        void update(float[] g, float[] w, int length, float inverse, int iteration) {
            Nesterovs config = config();
            float lr = (float) config.getLearningRate();
            float mu = (float) config.getMomentum();
            for (int i = 0; i < length; i++) {
                float previous = mu * v[i];
                float next = previous - lr * (g[i] * inverse);
                v[i] = next;
                w[i] -= previous - (mu + 1f) * next;
            }
        }
    }

    private static final class AdamStep extends LeanUpdater {
        private final float[] m;
        private final float[] u;

        AdamStep(Supplier<IUpdater> current, int length) {
            super(current);
            this.m = new float[length];
            this.u = new float[length];
        }

        @Override
        void reset() {
            java.util.Arrays.fill(m, 0f);
            java.util.Arrays.fill(u, 0f);
        }

        @Override
        void update(float[] g, float[] w, int length, float inverse, int iteration) {
            Adam config = config();
            double b1 = config.getBeta1();
            double b2 = config.getBeta2();
            double eps = config.getEpsilon();
            double alpha = config.getLearningRate() * Math.sqrt(1 - Math.pow(b2, iteration + 1))
                    / (1 - Math.pow(b1, iteration + 1));
            if (Double.isNaN(alpha) || alpha == 0) {
                alpha = eps;
            }
            float fb1 = (float) b1;
            float fb2 = (float) b2;
            float fa = (float) alpha;
            float fe = (float) eps;
            for (int i = 0; i < length; i++) {
                float gi = g[i] * inverse;
                float mi = fb1 * m[i] + gi * (1f - fb1);
                float ui = fb2 * u[i] + gi * gi * (1f - fb2);
                m[i] = mi;
                u[i] = ui;
                w[i] -= mi * fa / ((float) Math.sqrt(ui) + fe);
            }
        }
    }
}
