package io.fedge.edge;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What an inference-only device tells its coordinator about the edge model it runs: every
 * inference's latency, top-class confidence and predicted class, and, where the device later
 * learns the true label, whether it was right. {@link #drain} turns what was recorded since the
 * last call into the JSON report {@code POST /edge-telemetry} takes (docs/operations.md), and
 * starts a new window. The coordinator's canary decides on the labelled accuracy of these
 * reports. Thread-safe; no dependency beyond the JDK.
 */
public final class InferenceTelemetry {
    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** The most inferences one window holds (the coordinator refuses larger reports). */
    public static final int MAX_WINDOW = 1_000_000;

    private final String deviceId;
    private final int classes;
    private long version = -1;
    private float[] latenciesMicros = new float[256];
    private int count;
    private double confidenceSum;
    private long[] predictions;
    private long labelled;
    private long correct;

    /**
     * @param deviceId the device's id (1 to 64 letters, digits, '.', '_' or '-'), the one it
     *                 fetches its model with
     * @param classes  the model's class count
     */
    public InferenceTelemetry(String deviceId, int classes) {
        if (!DEVICE_ID.matcher(Objects.requireNonNull(deviceId, "deviceId")).matches()) {
            throw new IllegalArgumentException("device id must be 1 to 64 letters, digits, '.', '_' or '-': '"
                    + deviceId + "'");
        }
        if (classes < 1 || classes > 1_000) {
            throw new IllegalArgumentException("classes must be in [1, 1000]: " + classes);
        }
        this.deviceId = deviceId;
        this.classes = classes;
        this.predictions = new long[classes];
    }

    /**
     * Records one inference of model {@code version}: its latency, its class probabilities, and
     * the true label if known ({@code -1} if not). A window holds one version: recording another
     * starts over (what the previous version did is dropped, not misattributed).
     */
    public synchronized void record(long version, long latencyNanos, float[] probabilities, int trueLabel) {
        if (probabilities.length != classes) {
            throw new IllegalArgumentException("expected " + classes + " probabilities, got " + probabilities.length);
        }
        if (version != this.version) {
            clear();
            this.version = version;
        }
        if (count >= MAX_WINDOW) {
            return;
        }
        int top = 0;
        for (int i = 1; i < probabilities.length; i++) {
            if (probabilities[i] > probabilities[top]) {
                top = i;
            }
        }
        if (count == latenciesMicros.length) {
            latenciesMicros = Arrays.copyOf(latenciesMicros, count * 2);
        }
        latenciesMicros[count++] = Math.max(0, latencyNanos) / 1e3f;
        confidenceSum += Math.min(1, Math.max(0, probabilities[top]));
        predictions[top]++;
        if (trueLabel >= 0) {
            labelled++;
            correct += trueLabel == top ? 1 : 0;
        }
    }

    /** The inferences recorded in this window. */
    public synchronized int pending() {
        return count;
    }

    /**
     * The window as a report, or null when it is empty; the window starts over.
     */
    public synchronized String drain() {
        if (count == 0) {
            return null;
        }
        float[] sorted = Arrays.copyOf(latenciesMicros, count);
        Arrays.sort(sorted);
        double p50 = sorted[(int) Math.min(count - 1, Math.floor(0.50 * count))];
        double p99 = sorted[(int) Math.min(count - 1, Math.floor(0.99 * count))];
        StringBuilder b = new StringBuilder(256 + 12 * classes);
        b.append("{\"device\":\"").append(deviceId).append("\",\"version\":").append(version)
                .append(",\"inferences\":").append(count)
                .append(",\"latencyP50Micros\":").append(String.format(Locale.ROOT, "%.3f", p50))
                .append(",\"latencyP99Micros\":").append(String.format(Locale.ROOT, "%.3f", Math.max(p50, p99)))
                .append(",\"meanConfidence\":").append(String.format(Locale.ROOT, "%.6f",
                        Math.min(1, confidenceSum / count)))
                .append(",\"predictions\":[");
        for (int i = 0; i < classes; i++) {
            b.append(i == 0 ? "" : ",").append(predictions[i]);
        }
        b.append("],\"labelled\":").append(labelled).append(",\"correct\":").append(correct).append('}');
        long v = version;
        clear();
        version = v;
        return b.toString();
    }

    private void clear() {
        count = 0;
        confidenceSum = 0;
        predictions = new long[classes];
        labelled = 0;
        correct = 0;
    }
}
