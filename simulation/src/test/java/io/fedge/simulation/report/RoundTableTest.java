package io.fedge.simulation.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class RoundTableTest {

    private final RoundTable table = new RoundTable();

    @Test
    void headerNamesTheColumns() {
        assertEquals("round  test acc  test loss  train loss    clients   seconds     MB up   MB down",
                table.header());
    }

    @Test
    void formatsAHandMadeRound() {
        // 4.567 s -> 4.57; 12,345,678 B -> 12.3 MB; 45,678,901 B -> 45.7 MB.
        assertEquals("    1    0.8123     0.5432      0.6789       9/10      4.57      12.3      45.7",
                table.row(RoundRecords.FIRST));
    }

    @Test
    void missingValuesPrintAsDashes() {
        assertEquals("    2         -          -           -       0/10     30.00       0.0       1.0",
                table.row(RoundRecords.FAILED));
    }

    @Test
    void ignoresTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals("    1    0.8123     0.5432      0.6789       9/10      4.57      12.3      45.7",
                    table.row(RoundRecords.FIRST));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void rowsLineUpWithTheHeader() {
        assertEquals(table.header().length(), table.row(RoundRecords.FIRST).length());
    }
}
