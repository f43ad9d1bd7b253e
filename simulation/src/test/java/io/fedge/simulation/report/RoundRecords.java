package io.fedge.simulation.report;

import io.fedge.coordinator.RoundRecord;

/** Hand-made rounds for the report tests. */
final class RoundRecords {

    /** A normal round: 9 of 10 clients accepted, evaluated on the server. */
    static final RoundRecord FIRST = new RoundRecord(1, true, 1, 10, 9, 1,
            0.8123, 0.5432, 0.6789, Double.NaN, 4.567, 0.25, 12_345_678L, 45_678_901L,
            Double.NaN, Double.NaN);

    /** A failed round: nothing arrived, nothing evaluated. */
    static final RoundRecord FAILED = new RoundRecord(2, false, 1, 10, 0, 10,
            Double.NaN, Double.NaN, Double.NaN, Double.NaN, 30.0, 0.0, 0L, 1_000_000L,
            Double.NaN, Double.NaN, "0 of 10 updates accepted, 5 needed",
            java.util.List.of(new io.fedge.aggregation.Failure("client-7", "no verified update before the deadline")));

    private RoundRecords() {
    }
}
