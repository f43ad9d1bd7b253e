package io.fedge.simulation.report;

import io.fedge.coordinator.RoundRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws test accuracy (left axis) and test loss (right axis) against the round number as a
 * PNG, without a display; for a regression model, which has no accuracy, its test loss (MSE) alone.
 * Rounds with no evaluation (NaN) leave a gap in the line.
 */
final class AccuracyChart {

    static final int WIDTH = 900;
    static final int HEIGHT = 500;

    private AccuracyChart() {
    }

    /** No round has an accuracy but some have a loss: a regression model's history. */
    static boolean isRegression(double[] accuracy, double[] loss) {
        boolean anyLoss = false;
        for (int i = 0; i < accuracy.length; i++) {
            if (!Double.isNaN(accuracy[i])) {
                return false;
            }
            anyLoss |= Double.isFinite(loss[i]);
        }
        return anyLoss;
    }

    static void write(Path file, List<RoundRecord> rounds, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(title).xAxisTitle("round").yAxisTitle("test accuracy").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        double[] x = new double[Math.max(1, rounds.size())];
        double[] accuracy = new double[x.length];
        double[] loss = new double[x.length];
        if (rounds.isEmpty()) {
            // XChart refuses empty series; one missing point draws empty axes instead.
            accuracy[0] = Double.NaN;
            loss[0] = Double.NaN;
        }
        for (int i = 0; i < rounds.size(); i++) {
            RoundRecord r = rounds.get(i);
            x[i] = r.round();
            accuracy[i] = r.testAccuracy();
            loss[i] = r.testLoss();
        }
        if (isRegression(accuracy, loss)) {
            // a regression has no accuracy: its loss, the mean squared error, is the only line
            chart.setYAxisTitle("test loss (MSE)");
            chart.addSeries("test loss (MSE)", x, loss).setMarker(SeriesMarkers.NONE);
        } else {
            XYSeries accuracySeries = chart.addSeries("test accuracy", x, accuracy);
            accuracySeries.setMarker(SeriesMarkers.NONE);
            XYSeries lossSeries = chart.addSeries("test loss", x, loss);
            lossSeries.setMarker(SeriesMarkers.NONE);
            lossSeries.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "test loss");
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
