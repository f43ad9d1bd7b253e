package io.fedge.export;

import io.fedge.core.model.Network;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Calibrates one int8 scale per activation tensor: the magnitude that {@code percentile} percent
 * of the tensor's values over the calibration set do not exceed, divided by 127. The network runs
 * on the calibration set in batches, so memory does not grow with the set: a first pass finds each
 * tensor's largest magnitude, a second (below 100%) counts magnitudes into 65,536 equal bins up to
 * it, and the scale covers the upper edge of the bin the percentile falls in: at most 1/65,536 of
 * the largest magnitude above the exact percentile. Not thread-safe (it runs the network).
 */
final class ActivationScales {
    /** Examples per forward pass. */
    static final int BATCH = 256;
    private static final int BINS = 1 << 16;

    private ActivationScales() {
    }

    /**
     * The scale of each of {@code tensors}: names of DL4J activations, {@code inputTensor} for the
     * input itself ({@link NetworkLowering.Lowered#inputTensor()}).
     */
    static Map<String, Float> measure(Network net, INDArray calibration, Set<String> tensors, String inputTensor,
                                      double percentile) {
        Map<String, Double> max = new HashMap<>();
        Map<String, Long> count = new HashMap<>();
        forEachBatch(net, calibration, tensors, inputTensor, (name, values) -> {
            double m = max.getOrDefault(name, 0.0);
            for (float v : values) {
                m = Math.max(m, Math.abs(v));
            }
            max.put(name, m);
            count.merge(name, (long) values.length, Long::sum);
        });
        Map<String, Float> scales = new HashMap<>();
        if (percentile >= 100) {
            for (String t : tensors) {
                scales.put(t, scale(max.getOrDefault(t, 0.0)));
            }
            return scales;
        }
        Map<String, long[]> histograms = new HashMap<>();
        forEachBatch(net, calibration, tensors, inputTensor, (name, values) -> {
            double m = max.get(name);
            long[] h = histograms.computeIfAbsent(name, k -> new long[BINS]);
            if (m == 0) {
                h[0] += values.length;
                return;
            }
            double perUnit = BINS / m;
            for (float v : values) {
                h[Math.min(BINS - 1, (int) (Math.abs(v) * perUnit))]++;
            }
        });
        for (String t : tensors) {
            double m = max.getOrDefault(t, 0.0);
            long n = count.getOrDefault(t, 0L);
            long[] h = histograms.get(t);
            if (m == 0 || n == 0) {
                scales.put(t, scale(0));
                continue;
            }
            long rank = Math.min(n - 1, (long) Math.ceil(percentile / 100 * n) - 1); // as a sorted array's index
            long seen = 0;
            int bin = 0;
            while (seen + h[bin] <= rank) {
                seen += h[bin++];
            }
            scales.put(t, scale(Math.min(m, (bin + 1) * m / BINS)));
        }
        return scales;
    }

    private static float scale(double cover) {
        return cover > 0 ? (float) (cover / 127) : 1f / 127;
    }

    private interface Sink {
        void accept(String tensor, float[] values);
    }

    private static void forEachBatch(Network net, INDArray calibration, Set<String> tensors, String inputTensor,
                                     Sink sink) {
        long n = calibration.size(0);
        for (long from = 0; from < n; from += BATCH) {
            INDArray batch = calibration.get(NDArrayIndex.interval(from, Math.min(n, from + BATCH)), NDArrayIndex.all());
            Map<String, INDArray> acts = activations(net, batch, inputTensor);
            for (String t : tensors) {
                INDArray a = acts.get(t);
                if (a == null) {
                    throw new IllegalStateException("no DL4J activation named '" + t + "' to calibrate");
                }
                sink.accept(t, a.dup('c').data().asFloat());
            }
        }
    }

    private static Map<String, INDArray> activations(Network net, INDArray batch, String inputTensor) {
        Map<String, INDArray> acts = new HashMap<>();
        if (net.kind() == Network.Kind.LAYERS) {
            List<INDArray> list = net.layers().feedForward(batch, false);
            for (int i = 1; i < list.size(); i++) {
                acts.put(Integer.toString(i - 1), list.get(i));
            }
        } else {
            acts.putAll(net.graph().feedForward(batch, false));
        }
        acts.put(inputTensor, batch);
        return acts;
    }
}
