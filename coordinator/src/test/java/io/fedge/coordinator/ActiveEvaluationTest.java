package io.fedge.coordinator;

import io.fedge.aggregation.Failure;
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActiveEvaluationTest {
    private static EvaluateResult result(double accuracy, double loss) {
        return EvaluateResult.newBuilder().setRound(1).setModelVersion(5).setNumExamples(10).setAccuracy(accuracy)
                .setLoss(loss).build();
    }

    @Test
    void aRegressionModelsEvaluationHasNoAccuracyAndIsAccepted() {
        ActiveEvaluation e = new ActiveEvaluation(1, 5, Long.MAX_VALUE, List.of("a", "b"));
        e.accept("a", result(Double.NaN, 0.25), 100);
        e.accept("b", result(0.75, 0.5), 100);
        List<Failure> failures = new ArrayList<>();
        List<io.fedge.aggregation.EvaluateResult> results = e.close(failures);
        assertTrue(Double.isNaN(results.get(0).accuracy()));
        assertEquals(0.25, results.get(0).loss());
        assertEquals(0.75, results.get(1).accuracy());
        assertTrue(failures.isEmpty());
    }

    @Test
    void detailedMetricsAreCheckedAgainstTheModelAndKept() {
        ActiveEvaluation e = new ActiveEvaluation(1, 5, Long.MAX_VALUE, List.of("a", "b", "c"), 2);
        // 10 examples, 7 right
        e.accept("a", result(0.7, 0.4).toBuilder().addAllConfusion(List.of(4L, 1L, 2L, 3L)).build(), 100);
        // a lie: its matrix gives 0.7, it claims 0.9; a 3-class matrix for a 2-class model
        FedgeException lie = assertThrows(FedgeException.class, () -> e.accept("b",
                result(0.9, 0.4).toBuilder().addAllConfusion(List.of(4L, 1L, 2L, 3L)).build(), 100));
        assertEquals(ErrorCode.MALFORMED, lie.code());
        FedgeException shape = assertThrows(FedgeException.class, () -> e.accept("c", result(0.7, 0.4).toBuilder()
                .addAllConfusion(List.of(4L, 1L, 0L, 2L, 3L, 0L, 0L, 0L, 0L)).build(), 100));
        assertTrue(shape.getMessage().contains("expected 2 x 2"), shape.getMessage());
        List<Failure> failures = new ArrayList<>();
        List<io.fedge.aggregation.EvaluateResult> results = e.close(failures);
        assertEquals(1, results.size(), "the refused ones count as not answered");
        var m = (io.fedge.core.metrics.ClassificationMetrics) results.get(0).metrics();
        assertEquals(3, m.count(1, 1));
        assertEquals(4.0, m.lossSum(), 1e-12);
    }

    @Test
    void anAccuracyOutsideZeroOneOrANonFiniteLossIsRefused() {
        ActiveEvaluation e = new ActiveEvaluation(1, 5, Long.MAX_VALUE, List.of("a"));
        for (EvaluateResult bad : new EvaluateResult[] {result(1.5, 0.1), result(-0.1, 0.1),
                result(Double.POSITIVE_INFINITY, 0.1), result(0.5, Double.NaN), result(Double.NaN, Double.NaN)}) {
            FedgeException x = assertThrows(FedgeException.class, () -> e.accept("a", bad, 100), bad.toString());
            assertEquals(ErrorCode.NON_FINITE, x.code());
        }
    }
}
