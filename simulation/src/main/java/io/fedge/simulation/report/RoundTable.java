package io.fedge.simulation.report;

import io.fedge.coordinator.RoundRecord;
import java.util.Locale;
import java.util.Objects;

/**
 * Formats rounds as a fixed-width console table, one line per round:
 * <pre>
 * round  test acc  test loss  train loss    clients   seconds     MB up   MB down
 *     3    0.6161     1.2226      1.3448      10/10      3.20      12.3      45.7
 *    12         -          -           -       0/10      3.20      12.3      45.7
 * </pre>
 * Accuracy and losses have four decimals, seconds two, megabytes (10<sup>6</sup> bytes) one;
 * clients are accepted/selected; a missing (NaN) value prints as {@code -}. Lines carry no
 * trailing newline. Formatting ignores the default locale. Immutable and thread-safe.
 */
public final class RoundTable {

    private static final String HEADER_FORMAT = "%5s  %8s  %9s  %10s  %9s  %8s  %8s  %8s";
    private static final double BYTES_PER_MB = 1_000_000.0;

    /** Creates the table formatter. */
    public RoundTable() {
    }

    /**
     * Returns the column titles, aligned with {@link #row(RoundRecord)}.
     *
     * @return the header line
     */
    public String header() {
        return String.format(Locale.ROOT, HEADER_FORMAT,
                "round", "test acc", "test loss", "train loss", "clients", "seconds", "MB up", "MB down");
    }

    /**
     * Formats one round.
     *
     * @param r the round
     * @return the round's line
     * @throws NullPointerException if {@code r} is null
     */
    public String row(RoundRecord r) {
        Objects.requireNonNull(r, "r");
        return String.format(Locale.ROOT, HEADER_FORMAT,
                r.round(),
                decimal(r.testAccuracy(), 4),
                decimal(r.testLoss(), 4),
                decimal(r.trainLoss(), 4),
                r.clients() + "/" + r.selected(),
                decimal(r.roundSeconds(), 2),
                decimal(r.bytesUp() / BYTES_PER_MB, 1),
                decimal(r.bytesDown() / BYTES_PER_MB, 1));
    }

    private static String decimal(double value, int places) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%." + places + "f", value);
    }
}
