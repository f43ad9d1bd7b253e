package io.fedge.aggregation.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LogMathTest {
    /**
     * log(erfc(x)) against mpmath 1.3 at 40 digits ({@code mp.log(mp.erfc(mp.mpf(x)))}), on both
     * sides of the series / continued-fraction switch at x^2 = 3/2 (x = 1.2247...), for negative
     * x, and where erfc itself underflows a double (x >= 27). Tolerance: 4e-15 of max(1, |value|),
     * that is a few ulps of the logarithm, which is how the RDP series use it (as an additive term).
     */
    @Test
    void logErfcAgreesWithMpmath() {
        double[][] cases = {
            {-30, 0.69314718055994530942},
            {-3, 0.69313613525044681032},
            {-1.2, 0.64726761505621960898},
            {-0.5, 0.41903914777555958036},
            {0, 0.0},
            {1e-8, -1.1283791734617103078e-8},
            {0.1, -0.11930497373739559833},
            {0.5, -0.73501112983708440303},
            {1, -1.8496055099332482486},
            {1.2, -2.4114403551669297028},
            {1.2247, -2.4855971105241261562},
            {1.25, -2.5626536619221257245},
            {2, -5.3649412646166375745},
            {3, -10.720363041981112568},
            {5, -27.200889545537434422},
            {10, -102.87988902484488857},
            {26, -679.83119976319423026},
            {27, -732.86888650789741098},
            {30, -903.97411711064387808},
            {100, -10005.177585122664333},
            {1e5, -10000000012.085290408},
        };
        for (double[] c : cases) {
            double want = c[1];
            assertEquals(want, LogMath.logErfc(c[0]), 4e-15 * Math.max(1, Math.abs(want)), "x = " + c[0]);
        }
    }

    @Test
    void logErfcLimits() {
        assertEquals(Math.log(2), LogMath.logErfc(Double.NEGATIVE_INFINITY), 0.0);
        assertEquals(Double.NEGATIVE_INFINITY, LogMath.logErfc(Double.POSITIVE_INFINITY), 0.0);
        assertEquals(Double.NEGATIVE_INFINITY, LogMath.logErfc(1e200), 0.0);
        assertEquals(Double.NaN, LogMath.logErfc(Double.NaN), 0.0);
    }

    @Test
    void logAddAndLogSub() {
        // log(2 + 3) = log 5; log(5 - 3) = log 2; log(e^1000 + e^1000) = 1000 + log 2 (no overflow)
        assertEquals(Math.log(5), LogMath.logAdd(Math.log(2), Math.log(3)), 1e-15);
        assertEquals(Math.log(2), LogMath.logSub(Math.log(5), Math.log(3)), 1e-15);
        assertEquals(1000 + Math.log(2), LogMath.logAdd(1000, 1000), 1e-12);
        assertEquals(7.0, LogMath.logAdd(7.0, Double.NEGATIVE_INFINITY), 0.0);
        assertEquals(Double.NEGATIVE_INFINITY, LogMath.logSub(4.0, 4.0), 0.0);
        // log(1 - e^-50) = -e^-50 to first order: -1.9287498479639178e-22
        assertEquals(-Math.exp(-50), LogMath.logSub(0, -50), 1e-36);
        assertThrows(IllegalArgumentException.class, () -> LogMath.logSub(1, 2));
    }

    @Test
    void signedSumCancels() {
        // 5 - 3 + 0.5 = 2.5; minus itself = 0; then - 1 = -1; then + 4 = 3
        LogMath.SignedLogSum s = new LogMath.SignedLogSum();
        s.add(1, Math.log(5));
        s.add(-1, Math.log(3));
        s.add(1, Math.log(0.5));
        assertEquals(Math.log(2.5), s.logMagnitude(), 1e-15);
        s.add(-1, s.logMagnitude()); // subtracting the sum itself leaves exactly zero
        assertEquals(Double.NEGATIVE_INFINITY, s.logMagnitude(), 0.0);
        s.add(-1, 0);
        assertEquals(-1, s.sign());
        assertEquals(0.0, s.logMagnitude(), 0.0);
        s.add(1, Math.log(4));
        assertEquals(1, s.sign());
        assertEquals(Math.log(3), s.logMagnitude(), 1e-15);
    }
}
