package io.fedge.simulation;

import io.fedge.coordinator.RoundRecord;
import io.fedge.core.model.GlobalModel;

import java.nio.file.Path;
import java.util.List;

/**
 * What a simulation produced.
 *
 * @param rounds every round's record
 * @param model the final global model
 * @param totalSeconds wall time of the rounds, evaluation included, data loading excluded
 * @param loadSeconds wall time of loading and partitioning the data and starting the clients
 * @param written the files written to the output folder
 * @param attacks how the coordinator treated the attackers, or null when there were none
 */
public record SimulationResult(List<RoundRecord> rounds, GlobalModel model, double totalSeconds, double loadSeconds,
                               List<Path> written, io.fedge.simulation.attack.AttackReport attacks) {
    public SimulationResult {
        rounds = List.copyOf(rounds);
        written = List.copyOf(written);
    }

    /** Test accuracy after the last round (NaN if it failed). */
    public double finalAccuracy() {
        return rounds.isEmpty() ? Double.NaN : rounds.get(rounds.size() - 1).testAccuracy();
    }

    /** Test loss after the last round (NaN if it failed): cross-entropy, or a regression's mean squared error. */
    public double finalLoss() {
        return rounds.isEmpty() ? Double.NaN : rounds.get(rounds.size() - 1).testLoss();
    }

    /** Mean test loss of the last {@code n} rounds. */
    public double meanLossOfLast(int n) {
        int from = Math.max(0, rounds.size() - n);
        double sum = 0;
        for (int i = from; i < rounds.size(); i++) {
            sum += rounds.get(i).testLoss();
        }
        return sum / (rounds.size() - from);
    }

    /** Whether the model has no accuracy but a loss: a regression. */
    public boolean isRegression() {
        return !rounds.isEmpty() && rounds.stream().allMatch(r -> Double.isNaN(r.testAccuracy()))
                && rounds.stream().anyMatch(r -> Double.isFinite(r.testLoss()));
    }

    /** Mean test accuracy of the last {@code n} rounds. */
    public double meanAccuracyOfLast(int n) {
        int from = Math.max(0, rounds.size() - n);
        double sum = 0;
        for (int i = from; i < rounds.size(); i++) {
            sum += rounds.get(i).testAccuracy();
        }
        return sum / (rounds.size() - from);
    }
}
