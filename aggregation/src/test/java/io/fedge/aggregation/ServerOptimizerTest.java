package io.fedge.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The server optimizers against values computed independently: the expected figures come from a
 * separate double-precision implementation of Reddi et al.'s Algorithm 2 (Python, in the
 * comments), run on x = (1, -2) with mean deltas (0.5, -0.25) then (-0.2, 0.1).
 */
class ServerOptimizerTest {
    private static final float[] X = {1.0f, -2.0f};
    private static final double[][] DELTAS = {{0.5, -0.25}, {-0.2, 0.1}};

    private static float[] run(ServerOptimizer opt) {
        float[] x = X;
        for (double[] d : DELTAS) {
            x = opt.step(x, i -> d[i]);
        }
        return x;
    }

    @Test
    void momentumByHand() {
        // v1 = (0.5, -0.25), x1 = (1.5, -2.25); v2 = 0.9 v1 + (-0.2, 0.1) = (0.25, -0.125), x2 = (1.75, -2.375)
        assertArrayEquals(new float[] {1.75f, -2.375f}, run(ServerOptimizer.momentum(1.0, 0.9)), 1e-6f);
    }

    @Test
    void adamSteps() {
        // m = b1 m + (1-b1) d; v = b2 v + (1-b2) d^2 from v = tau^2; x += eta m / (sqrt(v) + tau)
        // eta 0.1, b1 0.9, b2 0.99, tau 1e-3 -> (1.1437841287779973, -2.1409998382687623)
        assertArrayEquals(new float[] {1.1437841f, -2.1409998f}, run(ServerOptimizer.adam(0.1, 0.9, 0.99, 1e-3)), 2e-5f);
    }

    @Test
    void yogiSteps() {
        // v = v - (1-b2) d^2 sign(v - d^2); eta 0.01 -> (1.014358976699866, -2.0140811670043877)
        assertArrayEquals(new float[] {1.0143590f, -2.0140812f}, run(ServerOptimizer.yogi(0.01, 0.9, 0.99, 1e-3)), 2e-6f);
    }

    @Test
    void adagradSteps() {
        // b1 0: m = d; v = v + d^2; eta 0.1, tau 1e-9 -> (1.0628609322335552, -2.0628609321025206)
        assertArrayEquals(new float[] {1.0628609f, -2.0628609f}, run(ServerOptimizer.adagrad(0.1, 0.0, 1e-9)), 2e-6f);
    }

    @Test
    void yogiFirstStepEqualsAdamsWhenVStartsBelowTheSquare() {
        // v0 = tau^2 < d^2: Yogi adds (1-b2) d^2 as Adam does, up to Adam's decay of tau^2
        float[] yogi = ServerOptimizer.yogi(0.1, 0.9, 0.99, 1e-3).step(X, i -> DELTAS[0][i]);
        float[] adam = ServerOptimizer.adam(0.1, 0.9, 0.99, 1e-3).step(X, i -> DELTAS[0][i]);
        assertArrayEquals(adam, yogi, 1e-6f);
    }

    @Test
    void restoredStateContinuesExactly() {
        Random r = new Random(3);
        float[] x = new float[50];
        double[][] d = new double[4][50];
        for (double[] row : d) {
            for (int i = 0; i < row.length; i++) {
                row[i] = r.nextGaussian();
            }
        }
        ServerOptimizer straight = ServerOptimizer.yogi(0.05, 0.9, 0.99, 1e-3);
        float[] a = x;
        for (double[] row : d) {
            a = straight.step(a, i -> row[i]);
        }
        ServerOptimizer first = ServerOptimizer.yogi(0.05, 0.9, 0.99, 1e-3);
        float[] b = first.step(x, i -> d[0][i]);
        b = first.step(b, i -> d[1][i]);
        ServerOptimizer resumed = ServerOptimizer.yogi(0.05, 0.9, 0.99, 1e-3);
        resumed.restore("fedyogi", first.state("fedyogi"));
        assertEquals(2, resumed.steps());
        b = resumed.step(b, i -> d[2][i]);
        b = resumed.step(b, i -> d[3][i]);
        assertArrayEquals(a, b, 0f);
    }

    @Test
    void decayingMomentumByHand() {
        // eta_0 = 1: x1 = (1.5, -2.25); v2 = (0.25, -0.125), eta_1 = 0.5: x2 = (1.625, -2.3125)
        ServerOptimizer opt = ServerOptimizer.momentum(1.0, 0.9).withDecay(0.5);
        assertEquals(1.0, opt.learningRate(), 0);
        float[] x = run(opt);
        assertArrayEquals(new float[] {1.625f, -2.3125f}, x, 1e-6f);
        assertEquals(0.25, opt.learningRate(), 0);
    }

    @Test
    void decayScalesEachStepAndLeavesTheMomentsAlone() {
        // the same moments, so step t of the decayed optimizer is decay^t times the constant one's
        ServerOptimizer constant = ServerOptimizer.adam(0.1, 0.9, 0.99, 1e-3);
        ServerOptimizer decayed = ServerOptimizer.adam(0.1, 0.9, 0.99, 1e-3).withDecay(0.8);
        float[] c0 = X;
        float[] d0 = X;
        double[][] deltas = {DELTAS[0], DELTAS[1], DELTAS[0]};
        for (int t = 0; t < deltas.length; t++) {
            double[] row = deltas[t];
            float[] c1 = constant.step(c0, i -> row[i]);
            float[] d1 = decayed.step(d0, i -> row[i]);
            for (int i = 0; i < X.length; i++) {
                assertEquals(Math.pow(0.8, t) * (c1[i] - c0[i]), d1[i] - d0[i], 1e-6, "step " + t + " coordinate " + i);
            }
            c0 = c1;
            d0 = d1;
        }
    }

    @Test
    void resumedDecayContinuesTheSchedule() {
        ServerOptimizer straight = ServerOptimizer.yogi(0.05, 0.9, 0.99, 1e-3).withDecay(0.7);
        float[] a = run(straight);
        ServerOptimizer first = ServerOptimizer.yogi(0.05, 0.9, 0.99, 1e-3).withDecay(0.7);
        float[] b = first.step(X, i -> DELTAS[0][i]);
        ServerOptimizer resumed = ServerOptimizer.yogi(0.05, 0.9, 0.99, 1e-3).withDecay(0.7);
        resumed.restore("fedyogi", first.state("fedyogi"));
        assertEquals(0.05 * 0.7, resumed.learningRate(), 1e-15);
        b = resumed.step(b, i -> DELTAS[1][i]);
        assertArrayEquals(a, b, 0f);
    }

    @Test
    void refusesSomeoneElsesOrCorruptState() {
        ServerOptimizer adam = ServerOptimizer.adam(0.1, 0.9, 0.99, 1e-3);
        adam.step(X, i -> DELTAS[0][i]);
        byte[] state = adam.state("fedadam");
        ServerOptimizer other = ServerOptimizer.adam(0.1, 0.9, 0.99, 1e-3);
        IllegalArgumentException owner = assertThrows(IllegalArgumentException.class, () -> other.restore("fedyogi", state));
        assertTrue(owner.getMessage().contains("fedadam"), owner.getMessage());
        state[state.length / 2] ^= 1;
        IllegalArgumentException corrupt = assertThrows(IllegalArgumentException.class, () -> other.restore("fedadam", state));
        assertTrue(corrupt.getMessage().contains("checksum"), corrupt.getMessage());
        byte[] momentum = ServerOptimizer.momentum(1, 0.9).state("fedadam");
        assertThrows(IllegalArgumentException.class, () -> other.restore("fedadam", momentum));
        assertThrows(IllegalArgumentException.class, () -> other.restore("fedadam", new byte[7]));
    }

    @Test
    void refusesParametersOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> ServerOptimizer.adam(0, 0.9, 0.99, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> ServerOptimizer.adam(0.1, 1.0, 0.99, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> ServerOptimizer.adam(0.1, 0.9, 0.99, 0));
        assertThrows(IllegalArgumentException.class, () -> ServerOptimizer.momentum(Double.NaN, 0.9));
        for (double decay : new double[] {0, -0.5, 1.0001, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerOptimizer.yogi(0.01, 0.9, 0.99, 1e-3).withDecay(decay));
            assertTrue(e.getMessage().startsWith("decay must be in (0, 1]"), e.getMessage());
        }
    }
}
