package io.fedge.export;

import io.fedge.edge.EdgeLayer;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.MaxPool2d;
import io.fedge.edge.QuantizedConv2d;
import io.fedge.edge.QuantizedDense;
import io.fedge.edge.SparseQuantizedDense;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Post-training int8 quantization of a DL4J network into an {@link EdgeModel}: weights symmetric
 * per output channel ({@code scale = max|w| / 127}), biases as int32 in units of
 * {@code inputScale * weightScale}, and one scale per activation tensor calibrated on a
 * calibration set, from the largest magnitude or from a percentile of the magnitudes (which
 * ignores rare outliers). Handles the layer kinds fedge's presets use: 3x3 "same" convolutions
 * with ReLU, max pooling, dense layers with ReLU, and the output layer.
 *
 * @param mode full-integer or weight-only
 * @param percentile the activation magnitude percentile a scale covers, in (0, 100]; 100 = max
 */
public record EdgeQuantizer(EdgeModel.Mode mode, double percentile, double sparseAbove) {
    public EdgeQuantizer {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100]: " + percentile);
        }
    }

    /** Dense layers with more than 60% zero weights are stored sparse. */
    public EdgeQuantizer(EdgeModel.Mode mode, double percentile) {
        this(mode, percentile, 0.6);
    }

    public EdgeModel quantize(MultiLayerNetwork net, INDArray calibration, int[] inputShape, Map<String, String> metadata) {
        List<INDArray> activations = net.feedForward(calibration, false);
        float inputScale = scale(activations.get(0));
        float scale = inputScale;
        int[] shape = inputShape.clone(); // c, h, w for images; n for vectors
        List<EdgeLayer> layers = new ArrayList<>();
        Layer[] dl4j = net.getLayers();
        for (int l = 0; l < dl4j.length; l++) {
            Layer layer = dl4j[l];
            boolean last = l == dl4j.length - 1;
            float outScale = last ? 0 : scale(activations.get(l + 1));
            Object conf = layer.conf().getLayer();
            if (conf instanceof org.deeplearning4j.nn.conf.layers.ConvolutionLayer c) {
                INDArray w = layer.getParam("W");
                INDArray b = layer.getParam("b");
                int out = (int) c.getNOut();
                int in = (int) c.getNIn();
                int k = c.getKernelSize()[0];
                float[] flat = new float[out * in * k * k];
                for (int o = 0; o < out; o++) {
                    for (int ch = 0; ch < in; ch++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                flat[((o * in + ch) * k + ky) * k + kx] = w.getFloat(o, ch, ky, kx);
                            }
                        }
                    }
                }
                Weights q = Weights.of(flat, out);
                layers.add(new QuantizedConv2d(in, out, shape[1], shape[2], k, q.q, q.scales,
                        biases(b, out, scale, q.scales), scale, outScale, relu(c.getActivationFn())));
                shape = new int[] {out, shape[1], shape[2]};
                scale = outScale;
            } else if (conf instanceof SubsamplingLayer s) {
                int k = s.getKernelSize()[0];
                layers.add(new MaxPool2d(shape[0], shape[1], shape[2], k));
                shape = new int[] {shape[0], shape[1] / k, shape[2] / k};
                // max pooling keeps the scale of its input
            } else if (conf instanceof org.deeplearning4j.nn.conf.layers.FeedForwardLayer f) {
                INDArray w = layer.getParam("W");
                INDArray b = layer.getParam("b");
                int in = (int) f.getNIn();
                int out = (int) f.getNOut();
                float[] flat = new float[out * in];
                for (int i = 0; i < in; i++) {
                    for (int o = 0; o < out; o++) {
                        flat[o * in + i] = w.getFloat(i, o);
                    }
                }
                Weights q = Weights.of(flat, out);
                int zeros = 0;
                for (byte v : q.q) {
                    zeros += v == 0 ? 1 : 0;
                }
                int[] qb = biases(b, out, scale, q.scales);
                float layerOut = last ? 0 : outScale;
                boolean layerRelu = !last && relu(f.getActivationFn());
                layers.add((double) zeros / q.q.length > sparseAbove && in <= 65_536
                        ? SparseQuantizedDense.of(in, out, q.q, q.scales, qb, scale, layerOut, layerRelu)
                        : new QuantizedDense(in, out, q.q, q.scales, qb, scale, layerOut, layerRelu));
                shape = new int[] {out};
                scale = outScale;
            } else {
                throw new IllegalArgumentException("cannot quantize layer " + l + ": " + conf.getClass().getSimpleName());
            }
        }
        return new EdgeModel(metadata, mode, inputShape, inputScale, layers);
    }

    private static boolean relu(org.nd4j.linalg.activations.IActivation a) {
        return a instanceof org.nd4j.linalg.activations.impl.ActivationReLU;
    }

    /** The scale covering {@code percentile} of the tensor's magnitudes with 127 steps. */
    float scale(INDArray activation) {
        float[] v = activation.dup().data().asFloat();
        float cover;
        if (percentile >= 100) {
            cover = 0;
            for (float x : v) {
                cover = Math.max(cover, Math.abs(x));
            }
        } else {
            float[] mags = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                mags[i] = Math.abs(v[i]);
            }
            Arrays.sort(mags);
            cover = mags[Math.min(mags.length - 1, (int) Math.ceil(percentile / 100 * mags.length) - 1)];
        }
        return cover > 0 ? cover / 127 : 1f / 127;
    }

    private static int[] biases(INDArray b, int out, float inputScale, float[] weightScales) {
        int[] q = new int[out];
        for (int o = 0; o < out; o++) {
            double unit = (double) inputScale * weightScales[o];
            q[o] = unit == 0 ? 0 : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE,
                    Math.round(b.getDouble(o) / unit)));
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
