package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import io.fedge.edge.AvgPool2d;
import io.fedge.edge.ChannelQuantization;
import io.fedge.edge.EdgeLayer;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.GlobalPool;
import io.fedge.edge.MaxPool2d;
import io.fedge.edge.QuantizedConv2d;
import io.fedge.edge.QuantizedDense;
import io.fedge.edge.ResidualBlock;
import io.fedge.edge.SparseQuantizedDense;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Post-training int8 quantization of a DL4J network of either kind into an {@link EdgeModel}.
 * The network is first lowered ({@code NetworkLowering}): BatchNorm folded into the convolution
 * or dense layer before it, activations fused, dropout and flattening dropped; anything the edge
 * format cannot run is refused in one line naming the layer. Then weights are quantized symmetric
 * per output channel ({@code scale = max|w| / 127}), biases to int32 in units of
 * {@code inputScale * weightScale}, and every activation tensor gets one scale calibrated on a
 * calibration set, from the largest magnitude or a percentile of them (which ignores rare
 * outliers; {@code ActivationScales}). Pooling keeps its input's scale.
 *
 * <p>Error, per layer: a weight is off by at most half its channel's step; an int8 activation by
 * half its tensor's step where it is within the calibrated range (clipped beyond it); a bias by
 * half a unit of {@code inputScale * weightScale}; average pooling adds half a step of rounding;
 * tanh and sigmoid pass their input's error on at most unchanged (their slope is at most 1). In the
 * weight-only mode only the weight and bias errors remain.
 *
 * @param mode full-integer or weight-only
 * @param percentile the activation magnitude percentile a scale covers, in (0, 100]; 100 = max
 * @param sparseAbove dense layers with more than this fraction of zero int8 weights are stored sparse
 */
public record EdgeQuantizer(EdgeModel.Mode mode, double percentile, double sparseAbove) {
    public EdgeQuantizer {
        java.util.Objects.requireNonNull(mode, "mode");
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100]: " + percentile);
        }
        if (!(sparseAbove >= 0 && sparseAbove <= 1)) {
            throw new IllegalArgumentException("sparseAbove must be in [0, 1]: " + sparseAbove);
        }
    }

    /** Dense layers with more than 60% zero weights are stored sparse. */
    public EdgeQuantizer(EdgeModel.Mode mode, double percentile) {
        this(mode, percentile, 0.6);
    }

    /**
     * As {@link #quantize(Network, INDArray, Map)}, checking that the network reads {@code inputShape}.
     *
     * @throws IllegalArgumentException if it does not, or the network cannot be exported
     */
    public EdgeModel quantize(MultiLayerNetwork net, INDArray calibration, int[] inputShape, Map<String, String> metadata) {
        Network n = Network.of(net);
        int[] reads = shape(ClassifierShape.inputOf(n));
        if (!Arrays.equals(reads, inputShape)) {
            throw new IllegalArgumentException("the network reads " + Arrays.toString(reads) + ", not "
                    + Arrays.toString(inputShape));
        }
        return quantize(n, calibration, metadata);
    }

    /**
     * The edge model of {@code net}.
     *
     * @param calibration examples like those it will see, one flat row each (a few thousand)
     * @throws IllegalArgumentException naming the first layer or vertex the edge format cannot run
     */
    public EdgeModel quantize(Network net, INDArray calibration, Map<String, String> metadata) {
        NetworkLowering.Lowered lowered = NetworkLowering.lower(net);
        Set<String> tensors = new LinkedHashSet<>();
        tensors.add(lowered.inputTensor());
        calibrated(lowered.ops(), tensors, true);
        Map<String, Float> scales = ActivationScales.measure(net, calibration, tensors, lowered.inputTensor(),
                percentile);
        float inputScale = scales.get(lowered.inputTensor());
        List<EdgeLayer> layers = new ArrayList<>();
        chain(lowered.ops(), inputScale, scales, true, layers);
        return new EdgeModel(metadata, mode, shape(lowered.input()), inputScale, layers);
    }

    static int[] shape(InputShape s) {
        return s instanceof InputShape.Image img ? new int[] {img.channels(), img.height(), img.width()}
                : new int[] {Math.toIntExact(s.size())};
    }

    /** The tensors whose scale is measured: every weighted layer's and residual Add's output, but the logits. */
    private static void calibrated(List<FloatOp> ops, Set<String> into, boolean top) {
        for (int i = 0; i < ops.size(); i++) {
            FloatOp op = ops.get(i);
            boolean logits = top && i == ops.size() - 1;
            if ((op instanceof FloatOp.Dense || op instanceof FloatOp.Conv) && !logits) {
                into.add(op.tensor());
            } else if (op instanceof FloatOp.Residual r) {
                calibrated(r.main(), into, false);
                calibrated(r.shortcut(), into, false);
                into.add(r.tensor());
            }
        }
    }

    /** Quantizes a chain that reads int8 at {@code scale}; returns the scale of its output. */
    private float chain(List<FloatOp> ops, float scale, Map<String, Float> scales, boolean top, List<EdgeLayer> into) {
        float s = scale;
        for (int i = 0; i < ops.size(); i++) {
            FloatOp op = ops.get(i);
            boolean logits = top && i == ops.size() - 1;
            float out = logits || !(op instanceof FloatOp.Dense || op instanceof FloatOp.Conv
                    || op instanceof FloatOp.Residual) ? s : scales.get(op.tensor());
            if (op instanceof FloatOp.Dense d) {
                into.add(dense(d, s, logits ? 0 : out));
            } else if (op instanceof FloatOp.Conv c) {
                Weights q = Weights.of(c.w(), c.outChannels());
                into.add(new QuantizedConv2d(c.inChannels(), c.outChannels(), c.window(), q.q,
                        new ChannelQuantization(q.scales, biases(c.b(), s, q.scales), s, out, c.activation())));
            } else if (op instanceof FloatOp.Pool p) {
                into.add(p.max() ? new MaxPool2d(p.channels(), p.window())
                        : new AvgPool2d(p.channels(), p.window(), p.includePadding()));
            } else if (op instanceof FloatOp.Global g) {
                into.add(new GlobalPool(g.kind(), g.channels(), g.height(), g.width()));
            } else {
                FloatOp.Residual r = (FloatOp.Residual) op;
                List<EdgeLayer> main = new ArrayList<>();
                List<EdgeLayer> shortcut = new ArrayList<>();
                float a = chain(r.main(), s, scales, false, main);
                float b = chain(r.shortcut(), s, scales, false, shortcut);
                into.add(new ResidualBlock(main, shortcut, r.activation(), a, b, out));
            }
            s = out;
        }
        return s;
    }

    private EdgeLayer dense(FloatOp.Dense d, float inScale, float outScale) {
        Weights q = Weights.of(d.w(), d.out());
        int zeros = 0;
        for (byte v : q.q) {
            zeros += v == 0 ? 1 : 0;
        }
        ChannelQuantization cq = new ChannelQuantization(q.scales, biases(d.b(), inScale, q.scales), inScale, outScale,
                d.activation());
        return (double) zeros / q.q.length > sparseAbove && d.in() <= 65_536
                ? SparseQuantizedDense.of(d.in(), d.out(), q.q, cq)
                : new QuantizedDense(d.in(), d.out(), q.q, cq);
    }

    private static int[] biases(float[] b, float inputScale, float[] weightScales) {
        int[] q = new int[b.length];
        for (int o = 0; o < b.length; o++) {
            double unit = (double) inputScale * weightScales[o];
            q[o] = unit == 0 ? 0 : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE,
                    Math.round(b[o] / unit)));
        }
        return q;
    }

    /** Symmetric per-row int8 weights. */
    private record Weights(byte[] q, float[] scales) {
        static Weights of(float[] w, int rows) {
            int cols = w.length / rows;
            byte[] q = new byte[w.length];
            float[] scales = new float[rows];
            for (int r = 0; r < rows; r++) {
                float max = 0;
                for (int c = 0; c < cols; c++) {
                    max = Math.max(max, Math.abs(w[r * cols + c]));
                }
                float s = max > 0 ? max / 127 : 1f;
                scales[r] = s;
                for (int c = 0; c < cols; c++) {
                    q[r * cols + c] = (byte) Math.max(-127, Math.min(127, Math.round(w[r * cols + c] / s)));
                }
            }
            return new Weights(q, scales);
        }
    }
}
