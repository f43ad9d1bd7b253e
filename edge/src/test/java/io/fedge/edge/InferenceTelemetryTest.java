package io.fedge.edge;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A device's telemetry window, against numbers worked by hand. */
class InferenceTelemetryTest {
    @Test
    void aWindowBecomesOneReportAndStartsOver() {
        InferenceTelemetry t = new InferenceTelemetry("dev-1", 3);
        assertNull(t.drain(), "nothing recorded, nothing to send");
        // latencies 100, 200, 300, 400 us; tops: class 0 (0.5), 2 (0.9), 2 (0.6), 1 (0.4); labels 0, 1, 2, unknown
        t.record(7, 100_000, new float[] {0.5f, 0.3f, 0.2f}, 0);
        t.record(7, 200_000, new float[] {0.05f, 0.05f, 0.9f}, 1);
        t.record(7, 300_000, new float[] {0.2f, 0.2f, 0.6f}, 2);
        t.record(7, 400_000, new float[] {0.3f, 0.4f, 0.3f}, -1);
        assertEquals(4, t.pending());
        // p50 = sorted[floor(0.5 * 4)] = 300; p99 = sorted[floor(0.99 * 4)] = sorted[3] = 400
        // mean confidence (0.5 + 0.9 + 0.6 + 0.4) / 4 = 0.6; predictions [1, 1, 2]; labelled 3, correct 2
        assertEquals("{\"device\":\"dev-1\",\"version\":7,\"inferences\":4,\"latencyP50Micros\":300.000,"
                + "\"latencyP99Micros\":400.000,\"meanConfidence\":0.600000,\"predictions\":[1,1,2],\"labelled\":3,"
                + "\"correct\":2}", t.drain());
        assertEquals(0, t.pending());
        t.record(7, 50_000, new float[] {1, 0, 0}, 0);
        t.record(8, 50_000, new float[] {0, 1, 0}, 1); // a new version starts the window over
        assertEquals(1, t.pending());
        assertEquals("{\"device\":\"dev-1\",\"version\":8,\"inferences\":1,\"latencyP50Micros\":50.000,"
                + "\"latencyP99Micros\":50.000,\"meanConfidence\":1.000000,\"predictions\":[0,1,0],\"labelled\":1,"
                + "\"correct\":1}", t.drain());
    }

    @Test
    void badIdsAndShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new InferenceTelemetry("\"}, {", 3));
        assertThrows(IllegalArgumentException.class, () -> new InferenceTelemetry("dev", 0));
        InferenceTelemetry t = new InferenceTelemetry("dev", 3);
        assertThrows(IllegalArgumentException.class, () -> t.record(1, 1, new float[2], 0));
    }
}
