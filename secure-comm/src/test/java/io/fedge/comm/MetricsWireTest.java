package io.fedge.comm;

import io.fedge.comm.proto.EvaluateResult;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.metrics.ClassificationMetrics;
import io.fedge.core.metrics.Metrics;
import io.fedge.core.metrics.RegressionMetrics;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsWireTest {
    /** 3 classes, 10 examples: labels 0,0,0,1,1,1,1,2,2,2 predicted 0,0,1,1,1,1,2,2,2,0 (7 right). */
    private static ClassificationMetrics tenExamples() {
        return ClassificationMetrics.of(new int[] {0, 0, 0, 1, 1, 1, 1, 2, 2, 2},
                new int[] {0, 0, 1, 1, 1, 1, 2, 2, 2, 0}, 3, 4.5);
    }

    private static EvaluateResult.Builder reported(long examples, double accuracy, double loss) {
        return EvaluateResult.newBuilder().setRound(1).setModelVersion(2).setNumExamples(examples)
                .setAccuracy(accuracy).setLoss(loss);
    }

    private static EvaluateResult confusion(long examples, double accuracy, long... counts) {
        EvaluateResult.Builder b = reported(examples, accuracy, 0.45);
        for (long c : counts) {
            b.addConfusion(c);
        }
        return b.build();
    }

    private static String refused(EvaluateResult r, int outputs) {
        FedgeException e = assertThrows(FedgeException.class, () -> MetricsWire.read(r, outputs));
        assertEquals(ErrorCode.MALFORMED, e.code());
        return e.getMessage();
    }

    @Test
    void aConfusionMatrixTravelsRowMajorAndReadsBackTheSame() {
        EvaluateResult.Builder b = reported(10, 0.7, 0.45);
        MetricsWire.write(tenExamples(), b);
        // by hand: rows are actual classes
        assertEquals(List.of(2L, 1L, 0L, 0L, 3L, 1L, 1L, 0L, 2L), b.getConfusionList());
        ClassificationMetrics back = (ClassificationMetrics) MetricsWire.read(b.build(), 3);
        assertArrayEquals(tenExamples().confusion(), back.confusion());
        assertEquals(0.7, back.accuracy(), 1e-12);
        assertEquals(4.5, back.lossSum(), 1e-12);
        assertEquals(tenExamples().macroF1(), back.macroF1(), 1e-12);
    }

    @Test
    void regressionSumsTravelPerTarget() {
        RegressionMetrics m = RegressionMetrics.of(new float[] {1, 2, 3, 4}, new float[] {1.5f, 2, 2, 4}, 2);
        EvaluateResult.Builder b = reported(2, Double.NaN, m.loss());
        MetricsWire.write(m, b);
        // target 0: errors 0.5 and -1; target 1: 0 and 0
        assertEquals(List.of(1.25, 0.0), b.getSquaredErrorSumsList());
        assertEquals(List.of(1.5, 0.0), b.getAbsoluteErrorSumsList());
        RegressionMetrics back = (RegressionMetrics) MetricsWire.read(b.build(), 2);
        assertEquals(0.625, back.mse(0), 1e-12);
        assertEquals(0.75, back.mae(0), 1e-12);
        assertEquals(m.loss(), back.loss(), 1e-12);
    }

    @Test
    void noDetailedMetricsIsNullAsFromAnOlderClient() {
        assertNull(MetricsWire.read(reported(10, 0.7, 0.45).build(), 3));
    }

    @Test
    void aConfusionMatrixThatDoesNotFitTheModelOrTheReportIsRefused() {
        assertTrue(refused(confusion(10, 0.7, 2, 1, 0, 0, 3, 1, 1, 0, 2), 4).contains("expected 4 x 4"));
        assertTrue(refused(confusion(10, 0.7, 2, 1, 0, 0), 2).contains("add up to 3, the evaluation claims 10"));
        assertTrue(refused(confusion(10, 0.7, 2, 1, 0, 0, 3, 1, 1, 0, 3), 3).contains("add up to more than"));
        assertTrue(refused(confusion(10, 0.7, 11, 0, 0, 0, 0, 0, 0, 0, 0), 3).contains("exceeds the 10 examples"));
        // 2^64 - 1 on the wire: reads negative in Java, refused, never wraps a sum round
        assertTrue(refused(confusion(10, 0.7, -1L, 1, 0, 0, 3, 1, 1, 0, 2), 3).contains("18446744073709551615"));
        assertTrue(refused(confusion(10, 0.9, 2, 1, 0, 0, 3, 1, 1, 0, 2), 3)
                .contains("accuracy 0.9 does not match its confusion matrix's 0.7"));
        EvaluateResult both = confusion(10, 0.7, 2, 1, 0, 0, 3, 1, 1, 0, 2).toBuilder().addSquaredErrorSums(1).build();
        assertTrue(refused(both, 3).contains("both"));
        int tooMany = ClassificationMetrics.MAX_DETAILED_CLASSES + 1;
        EvaluateResult.Builder big = reported(1, 1, 0.1);
        for (int i = 0; i < tooMany * tooMany; i++) {
            big.addConfusion(i == 0 ? 1 : 0);
        }
        assertTrue(refused(big.build(), tooMany).contains("for the model's 51 classes"));
    }

    @Test
    void regressionSumsThatDoNotFitAreRefused() {
        EvaluateResult.Builder b = reported(2, Double.NaN, 0.3125).addSquaredErrorSums(1.25).addAbsoluteErrorSums(1.5);
        assertTrue(refused(b.build(), 2).contains("the model has 2"));
        assertTrue(refused(b.clone().addSquaredErrorSums(Double.NaN).addAbsoluteErrorSums(0).build(), 2)
                .contains("finite and non-negative"));
        assertTrue(refused(b.clone().addSquaredErrorSums(-1).addAbsoluteErrorSums(0).build(), 2)
                .contains("finite and non-negative"));
        // (1.25 + 0) / (2 examples x 2 targets) = 0.3125; a report of 0.1 is not that
        assertTrue(refused(b.clone().addSquaredErrorSums(0).addAbsoluteErrorSums(0).setLoss(0.1).build(), 2)
                .contains("does not match its regression sums' mean squared error 0.3125"));
        Metrics ok = MetricsWire.read(b.clone().addSquaredErrorSums(0).addAbsoluteErrorSums(0).build(), 2);
        assertEquals(0.3125, ok.loss(), 1e-12);
    }

    /**
     * 20,000 seeded reports, a third honest and the rest hostile (confusion matrices of random sizes, counts near the examples,
     * negative, huge; accuracies right or not; regression sums with NaN, infinities, negatives; both
     * kinds; then a fifth of them byte-damaged and re-parsed): each is read into metrics that agree
     * with the report, or refused as MALFORMED; nothing else escapes.
     */
    @Test
    void hostileReportsAreReadConsistentlyOrRefused() {
        java.util.Random r = new java.util.Random(20261204);
        int read = 0;
        int refusedCount = 0;
        for (int i = 0; i < 20_000; i++) {
            int outputs = 1 + r.nextInt(6);
            long n = r.nextInt(4) == 0 ? r.nextLong() : 1 + r.nextInt(40);
            EvaluateResult.Builder b = reported(n, r.nextBoolean() ? r.nextDouble() : r.nextInt(3) / 2.0,
                    r.nextInt(5) == 0 ? Double.NaN : r.nextDouble() * 3);
            int kind = r.nextInt(3);
            if (kind != 1) {
                int cells = r.nextInt(4) == 0 ? r.nextInt(50) : outputs * outputs;
                long left = Math.max(0, n);
                for (int c = 0; c < cells; c++) {
                    long v = r.nextInt(8) == 0 ? r.nextLong() : c == cells - 1 ? left : Math.min(left, r.nextInt(6));
                    left -= Math.max(0, Math.min(left, v));
                    b.addConfusion(v);
                }
            }
            if (kind != 0) {
                int targets = r.nextInt(4) == 0 ? r.nextInt(8) : outputs;
                double[] odd = {Double.NaN, Double.POSITIVE_INFINITY, -1, 0, 1e308};
                for (int t = 0; t < targets; t++) {
                    b.addSquaredErrorSums(r.nextInt(6) == 0 ? odd[r.nextInt(odd.length)] : r.nextDouble() * 10);
                    b.addAbsoluteErrorSums(r.nextInt(6) == 0 ? odd[r.nextInt(odd.length)] : r.nextDouble() * 10);
                }
            }
            if (r.nextInt(3) == 0) { // an honest report, damaged below one time in five
                int examples = 1 + r.nextInt(40);
                Metrics honest;
                if (r.nextBoolean()) {
                    int[] actual = new int[examples];
                    int[] predicted = new int[examples];
                    for (int e = 0; e < examples; e++) {
                        actual[e] = r.nextInt(outputs);
                        predicted[e] = r.nextInt(outputs);
                    }
                    honest = ClassificationMetrics.of(actual, predicted, outputs, r.nextDouble() * examples);
                } else {
                    float[] actual = new float[examples * outputs];
                    float[] predicted = new float[examples * outputs];
                    for (int e = 0; e < actual.length; e++) {
                        actual[e] = (float) r.nextGaussian();
                        predicted[e] = (float) r.nextGaussian();
                    }
                    honest = RegressionMetrics.of(actual, predicted, outputs);
                }
                b = reported(examples, honest.accuracy(), honest.loss());
                MetricsWire.write(honest, b);
            }
            EvaluateResult report = b.build();
            if (r.nextInt(5) == 0) {
                byte[] bytes = report.toByteArray();
                if (bytes.length > 0) {
                    bytes[r.nextInt(bytes.length)] ^= (byte) (1 << r.nextInt(8));
                }
                try {
                    report = EvaluateResult.parseFrom(bytes);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    continue; // the framing's refusal, before this
                }
            }
            try {
                Metrics m = MetricsWire.read(report, outputs);
                read++;
                if (m != null) {
                    assertEquals(report.getNumExamples(), m.examples());
                    if (m instanceof ClassificationMetrics c) {
                        assertEquals(outputs, c.classes());
                        assertEquals(report.getAccuracy(), c.accuracy(), 1e-6);
                    } else {
                        assertEquals(report.getLoss(), m.loss(), 1e-6 * Math.max(1, m.loss()));
                    }
                }
            } catch (FedgeException e) {
                assertEquals(ErrorCode.MALFORMED, e.code(), e.getMessage());
                refusedCount++;
            }
        }
        assertTrue(read > 1000 && refusedCount > 1000, read + " read, " + refusedCount + " refused");
    }
}
