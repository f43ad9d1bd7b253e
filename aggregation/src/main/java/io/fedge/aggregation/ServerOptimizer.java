package io.fedge.aggregation;

import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/**
 * The server optimizers of Reddi et al. 2021 ("Adaptive Federated Optimization", Algorithm 2) and
 * Hsu et al. 2019's server momentum, taking one step per round with the round's weighted mean
 * delta {@code d} (the pseudo-gradient with its sign flipped: the direction the clients moved):
 *
 * <pre>
 * momentum (FedAvgM): v = beta * v + d;                               x = x + eta * v
 * adagrad:            m = b1 * m + (1 - b1) * d;  v = v + d^2;         x = x + eta * m / (sqrt(v) + tau)
 * adam:               m = b1 * m + (1 - b1) * d;  v = b2 * v + (1 - b2) * d^2;
 * yogi:               m = b1 * m + (1 - b1) * d;  v = v - (1 - b2) * d^2 * sign(v - d^2)
 * </pre>
 *
 * with {@code v} starting at {@code tau^2} for the adaptive ones, as the paper's
 * {@code v_{-1} >= tau^2}, and no bias correction (the paper has none). The server learning rate
 * may decay exponentially ({@link #withDecay}: {@code eta_t = eta * decay^t} at the step after
 * {@code t} steps, as the exponential schedule of Reddi et al.'s appendix); the step count is part
 * of the persisted state, so a resumed federation continues the schedule. Memory: one or two floats
 * per parameter, allocated at the first step. The moments are the state the coordinator persists
 * after every round. Not thread-safe.
 */
public final class ServerOptimizer {
    /** Which update rule. */
    public enum Kind { MOMENTUM, ADAGRAD, ADAM, YOGI }

    private final Kind kind;
    private final double eta;
    private final double beta1;
    private final double beta2;
    private final double tau;
    private final double decay;
    private float[] m;
    private float[] v;
    private long steps;
    private double lastRate = Double.NaN;

    private ServerOptimizer(Kind kind, double eta, double beta1, double beta2, double tau, double decay) {
        check("eta", eta, 0, 1e3, false);
        if (!(decay > 0 && decay <= 1)) {
            throw new IllegalArgumentException("decay must be in (0, 1]: " + decay);
        }
        check("beta1", beta1, 0, 1, true);
        check("beta2", beta2, 0, 1, true);
        check("tau", tau, 0, 10, false);
        this.kind = kind;
        this.eta = eta;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.tau = tau;
        this.decay = decay;
    }

    private static void check(String name, double value, double low, double high, boolean openHigh) {
        boolean ok = Double.isFinite(value) && value >= low && (openHigh ? value < high : value <= high);
        if (name.equals("eta") || name.equals("tau")) {
            ok = ok && value > low;
        }
        if (!ok) {
            throw new IllegalArgumentException(name + " must be in " + (name.equals("eta") || name.equals("tau") ? "(" : "[")
                    + fmt(low) + ", " + fmt(high) + (openHigh ? ")" : "]") + ": " + value);
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%g", d);
    }

    /** Server momentum (FedAvgM): server learning rate {@code eta}, momentum {@code beta}. */
    public static ServerOptimizer momentum(double eta, double beta) {
        return new ServerOptimizer(Kind.MOMENTUM, eta, beta, 0, 1, 1);
    }

    /** FedAdagrad. */
    public static ServerOptimizer adagrad(double eta, double beta1, double tau) {
        return new ServerOptimizer(Kind.ADAGRAD, eta, beta1, 0, tau, 1);
    }

    /** FedAdam. */
    public static ServerOptimizer adam(double eta, double beta1, double beta2, double tau) {
        return new ServerOptimizer(Kind.ADAM, eta, beta1, beta2, tau, 1);
    }

    /** FedYogi. */
    public static ServerOptimizer yogi(double eta, double beta1, double beta2, double tau) {
        return new ServerOptimizer(Kind.YOGI, eta, beta1, beta2, tau, 1);
    }

    /**
     * This optimizer with its server learning rate multiplied by {@code decay} after every step
     * ({@code eta_t = eta * decay^t}); 1 keeps it constant.
     *
     * @throws IllegalArgumentException unless {@code 0 < decay <= 1}
     */
    public ServerOptimizer withDecay(double decay) {
        return new ServerOptimizer(kind, eta, beta1, beta2, tau, decay);
    }

    /** The server learning rate of the last step taken; NaN before the first (and after a restore). */
    public double lastLearningRate() {
        return lastRate;
    }

    /** The server learning rate of the next step. */
    public double learningRate() {
        return decay == 1 ? eta : eta * Math.pow(decay, steps);
    }

    public Kind kind() {
        return kind;
    }

    /** How many steps were taken. */
    public long steps() {
        return steps;
    }

    /**
     * One step: the next parameters from {@code x} and the round's mean delta {@code d(i)}.
     * Updates the moments; {@code x} is left alone.
     */
    public float[] step(float[] x, IntToDoubleFunction d) {
        int n = x.length;
        if (m == null) {
            m = new float[n];
            if (kind != Kind.MOMENTUM) {
                v = new float[n];
                java.util.Arrays.fill(v, (float) (tau * tau));
            }
        } else if (m.length != n) {
            throw new IllegalArgumentException("the model has " + n + " parameters, the optimizer's moments "
                    + m.length);
        }
        double eta = learningRate();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double di = d.applyAsDouble(i);
            double step;
            if (kind == Kind.MOMENTUM) {
                double vi = beta1 * m[i] + di;
                m[i] = (float) vi;
                step = eta * vi;
            } else {
                double mi = beta1 * m[i] + (1 - beta1) * di;
                double d2 = di * di;
                double vi = v[i];
                vi = switch (kind) {
                    case ADAGRAD -> vi + d2;
                    case ADAM -> beta2 * vi + (1 - beta2) * d2;
                    case YOGI -> vi - (1 - beta2) * d2 * Math.signum(vi - d2);
                    default -> throw new AssertionError(kind);
                };
                m[i] = (float) mi;
                v[i] = (float) vi;
                step = eta * mi / (Math.sqrt(vi) + tau);
            }
            out[i] = (float) (x[i] + step);
        }
        steps++;
        lastRate = eta;
        return out;
    }

    /** The moments and the step count, for the coordinator's state store. */
    public byte[] state(String owner) {
        StrategyState.Writer w = StrategyState.writer(owner).doubles(kind.ordinal(), steps);
        w.floats(m == null ? new float[0] : m).floats(v == null ? new float[0] : v);
        return w.toBytes();
    }

    /**
     * Restores {@link #state}'s bytes; an empty array (a fresh federation) leaves the optimizer
     * as new.
     *
     * @throws IllegalArgumentException if the state is not this kind of optimizer's or is corrupt
     */
    public void restore(String owner, byte[] state) {
        if (state.length == 0) {
            return;
        }
        StrategyState.Reader r = StrategyState.reader(owner, state);
        double[] head = r.doubles();
        if (head.length != 2 || head[0] != kind.ordinal() || head[1] < 0) {
            throw new IllegalArgumentException("the saved state is not a " + kind + " optimizer's");
        }
        float[] savedM = r.floats();
        float[] savedV = r.floats();
        boolean fresh = savedM.length == 0;
        if (!fresh && kind != Kind.MOMENTUM && savedV.length != savedM.length) {
            throw new IllegalArgumentException("the saved moments have different lengths");
        }
        steps = (long) head[1];
        m = fresh ? null : savedM;
        v = fresh || kind == Kind.MOMENTUM ? null : savedV;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case MOMENTUM -> "momentum[eta=" + eta + ", beta=" + beta1 + decayText() + "]";
            case ADAGRAD -> "adagrad[eta=" + eta + ", beta1=" + beta1 + ", tau=" + tau + decayText() + "]";
            default -> kind.name().toLowerCase(Locale.ROOT) + "[eta=" + eta + ", beta1=" + beta1 + ", beta2=" + beta2
                    + ", tau=" + tau + decayText() + "]";
        };
    }

    private String decayText() {
        return decay == 1 ? "" : ", decay=" + decay;
    }
}
