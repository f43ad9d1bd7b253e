package io.fedge.simulation.report;

import io.fedge.coordinator.RoundRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes one CSV line per round under {@link #HEADER}: a classifier's test accuracy, loss and
 * macro-F1, or a regression's test loss (its MSE) and MAE, with the round's training loss, times and traffic. Doubles use {@link Double#toString},
 * which is locale-independent and round-trips exactly; NaN is an empty field.
 */
final class HistoryCsv {

    static final String HEADER = "round,test_accuracy,test_loss,train_loss,round_seconds,eval_seconds,"
            + "bytes_up,bytes_down,clients,selected,failures,succeeded,test_macro_f1,test_mae";

    private HistoryCsv() {
    }

    static void write(Path file, List<RoundRecord> rounds) throws IOException {
        StringBuilder csv = new StringBuilder(HEADER).append('\n');
        for (RoundRecord r : rounds) {
            csv.append(line(r)).append('\n');
        }
        Files.writeString(file, csv, StandardCharsets.UTF_8);
    }

    static String line(RoundRecord r) {
        return r.round()
                + "," + number(r.testAccuracy())
                + "," + number(r.testLoss())
                + "," + number(r.trainLoss())
                + "," + number(r.roundSeconds())
                + "," + number(r.evalSeconds())
                + "," + r.bytesUp()
                + "," + r.bytesDown()
                + "," + r.clients()
                + "," + r.selected()
                + "," + r.failures()
                + "," + r.succeeded()
                + "," + number(r.evaluationMetrics().getOrDefault("macro_f1", Double.NaN))
                + "," + number(r.evaluationMetrics().getOrDefault("mae", Double.NaN));
    }

    private static String number(double value) {
        return Double.isFinite(value) ? Double.toString(value) : "";
    }
}
