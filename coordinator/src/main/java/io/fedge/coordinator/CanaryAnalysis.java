package io.fedge.coordinator;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One canary's evidence: each version's telemetry since the canary started (inferences, labelled
 * and correct ones, each device's labelled inferences counted up to the policy's cap, summed
 * predictions, count-weighted latency and confidence), and the looks of the {@link CanaryTest}
 * taken so far. Thread-safe.
 */
final class CanaryAnalysis {
    /** What one version's devices reported. */
    static final class Arm {
        long inferences;
        long labelled;
        long correct;
        double latencyP50Sum;
        double latencyP99Max;
        double confidenceSum;
        long[] predictions = new long[0];
        final Map<String, Long> countedPerDevice = new HashMap<>();

        synchronized Arm copy() {
            Arm a = new Arm();
            a.inferences = inferences;
            a.labelled = labelled;
            a.correct = correct;
            a.latencyP50Sum = latencyP50Sum;
            a.latencyP99Max = latencyP99Max;
            a.confidenceSum = confidenceSum;
            a.predictions = predictions.clone();
            return a;
        }

        double meanLatencyP50() {
            return inferences == 0 ? Double.NaN : latencyP50Sum / inferences;
        }

        double meanConfidence() {
            return inferences == 0 ? Double.NaN : confidenceSum / inferences;
        }

        double accuracy() {
            return labelled == 0 ? Double.NaN : correct / (double) labelled;
        }
    }

    /** The most devices remembered per version; the labelled inferences of devices beyond them are not counted for the test. */
    static final int MAX_DEVICES = 200_000;

    private final long stableVersion;
    private final long canaryVersion;
    private final CanaryPolicy policy;
    private final Arm stable = new Arm();
    private final Arm canary = new Arm();
    private int looksTaken;
    private CanaryTest.Decision last;

    CanaryAnalysis(long stableVersion, long canaryVersion, CanaryPolicy policy) {
        this.stableVersion = stableVersion;
        this.canaryVersion = canaryVersion;
        this.policy = policy;
    }

    long stableVersion() {
        return stableVersion;
    }

    long canaryVersion() {
        return canaryVersion;
    }

    /**
     * Counts {@code t} on the canary or the stable side, then takes every look the canary's
     * labelled count has reached. Returns the verdict that ends the canary, if one did.
     */
    synchronized Optional<CanaryTest.Decision> report(EdgeTelemetry t, boolean onCanary) {
        Arm arm = onCanary ? canary : stable;
        synchronized (arm) {
            long before = arm.countedPerDevice.getOrDefault(t.device(), 0L);
            if (before == 0 && arm.countedPerDevice.size() >= MAX_DEVICES) {
                before = policy.perDeviceCap(); // no room to remember it: it counts for inferences, not for the test
            }
            long room = Math.max(0, policy.perDeviceCap() - before);
            long counted = Math.min(room, t.labelled());
            // the correct ones among those counted, in proportion (never more than reported right)
            long countedCorrect = t.labelled() == 0 ? 0 : Math.min(t.correct(),
                    Math.round(t.correct() * (counted / (double) t.labelled())));
            if (counted > 0) {
                arm.countedPerDevice.put(t.device(), before + counted);
            }
            arm.labelled += counted;
            arm.correct += countedCorrect;
            arm.inferences += t.inferences();
            arm.latencyP50Sum += t.latencyP50Micros() * t.inferences();
            arm.latencyP99Max = Math.max(arm.latencyP99Max, t.latencyP99Micros());
            arm.confidenceSum += t.meanConfidence() * t.inferences();
            if (t.predictions().length > arm.predictions.length) {
                arm.predictions = java.util.Arrays.copyOf(arm.predictions, t.predictions().length);
            }
            for (int i = 0; i < t.predictions().length; i++) {
                arm.predictions[i] += t.predictions()[i];
            }
        }
        CanaryTest test = policy.test();
        while (looksTaken < test.looks() && canary.labelled >= test.trialsAt(looksTaken + 1) && stable.labelled > 0) {
            looksTaken++;
            last = test.decide(looksTaken, stable.labelled, stable.correct, canary.labelled, canary.correct);
            if (last.verdict() != CanaryTest.Verdict.CONTINUE) {
                return Optional.of(last);
            }
        }
        return Optional.empty();
    }

    synchronized Arm stable() {
        return stable.copy();
    }

    synchronized Arm canary() {
        return canary.copy();
    }

    /** The last look's decision, or empty before the first. */
    synchronized Optional<CanaryTest.Decision> lastLook() {
        return Optional.ofNullable(last);
    }
}
