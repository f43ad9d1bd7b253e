package io.fedge.cli;

import io.fedge.coordinator.RoundListener;
import io.fedge.coordinator.RoundRecord;
import io.fedge.simulation.report.RoundTable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/**
 * Shows a progress bar of the clients finished in the current round (on stderr) and prints one
 * table row per finished round (on stdout).
 */
final class ProgressReporter implements RoundListener {
    private final PrintStream out;
    private final long totalRounds;
    private final boolean showBar;
    private final RoundTable table = new RoundTable();
    private ProgressBar bar;
    private boolean headerPrinted;

    ProgressReporter(PrintStream out, long totalRounds, boolean showBar) {
        this.out = out;
        this.totalRounds = totalRounds;
        this.showBar = showBar;
    }

    @Override
    public synchronized void roundStarted(long round, int selected) {
        if (!headerPrinted) {
            out.println(table.header());
            headerPrinted = true;
        }
        if (showBar) {
            bar = new ProgressBarBuilder()
                    .setTaskName("round " + round + "/" + totalRounds)
                    .setInitialMax(selected)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUnit(" clients", 1)
                    .setUpdateIntervalMillis(250)
                    .continuousUpdate()
                    .clearDisplayOnFinish()
                    .build();
        }
    }

    @Override
    public synchronized void clientFinished(long round, String clientId, boolean accepted) {
        if (bar != null) {
            bar.step();
        }
    }

    @Override
    public synchronized void roundFinished(RoundRecord record) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        out.println(table.row(record));
        out.flush();
    }
}
