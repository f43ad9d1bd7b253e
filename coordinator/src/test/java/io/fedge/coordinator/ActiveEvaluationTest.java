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
    void anAccuracyOutsideZeroOneOrANonFiniteLossIsRefused() {
        ActiveEvaluation e = new ActiveEvaluation(1, 5, Long.MAX_VALUE, List.of("a"));
        for (EvaluateResult bad : new EvaluateResult[] {result(1.5, 0.1), result(-0.1, 0.1),
                result(Double.POSITIVE_INFINITY, 0.1), result(0.5, Double.NaN), result(Double.NaN, Double.NaN)}) {
            FedgeException x = assertThrows(FedgeException.class, () -> e.accept("a", bad, 100), bad.toString());
            assertEquals(ErrorCode.NON_FINITE, x.code());
        }
    }
}
