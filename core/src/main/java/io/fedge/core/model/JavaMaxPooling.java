package io.fedge.core.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingHelper;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.reflect.Field;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * DL4J's {@code SubsamplingLayer} helper for the pooling fedge's convolutional models use, 2x2
 * max pooling with stride 2 over float NCHW arrays of even height and width, as plain loops over
 * the arrays' buffers. libnd4j's {@code maxpool2d} and oneDNN's backward take about half of a
 * {@code cnn} training step on one core (docs/benchmarks.md, "Where a step's time goes"); these
 * loops do the same arithmetic several times faster ({@code MaxPoolingBenchmark}).
 *
 * <p>Same mathematics: the forward takes each window's maximum; the backward gives each window's
 * gradient to the first maximum of the window in row-major order (the strict comparison
 * libnd4j's loop makes) and zero to the other three. Anything else (another pooling type, kernel,
 * stride, padding, dilation, layout, data type, or an input that is not one contiguous C-order
 * block) goes to the helper DL4J chose (oneDNN's) or, without one, to DL4J's own path.
 *
 * <p>Outputs live where DL4J's would, in the layer workspace manager's arrays. Stateless: the
 * backward finds each window's maximum again from the input, so an inference pass between a
 * forward and its backward changes nothing. Installed by {@link #install}; {@value #PROPERTY}
 * {@code =dl4j} leaves DL4J's choice alone.
 */
final class JavaMaxPooling implements SubsamplingHelper {
    /** {@code java} (the default) or {@code dl4j}. */
    static final String PROPERTY = "fedge.pooling";

    private final SubsamplingHelper fallback;

    /**
     * Whether {@value #PROPERTY} leaves fedge's pooling on (unset or {@code java}) rather than off
     * ({@code dl4j}). It concerns DL4J's {@code fit}: the lean training path pools on its own.
     *
     * @throws IllegalArgumentException naming the property and its values if it is set to anything else
     */
    static boolean enabled() {
        String mode = System.getProperty(PROPERTY, "java").strip().toLowerCase(java.util.Locale.ROOT);
        if (!mode.equals("java") && !mode.equals("dl4j")) {
            throw new IllegalArgumentException("-D" + PROPERTY + " is '" + System.getProperty(PROPERTY)
                    + "', expected java or dl4j");
        }
        return mode.equals("java");
    }

    private JavaMaxPooling(SubsamplingHelper fallback) {
        this.fallback = fallback;
    }

    /**
     * In a layer stack, replaces every DL4J {@code SubsamplingLayer} by a {@link JavaSubsamplingLayer}
     * of the same configuration (whose forward runs {@link #forward} for the windows this class
     * handles: DL4J's own forward asks no helper), then installs the helper for the backward, unless
     * {@value #PROPERTY} is {@code dl4j}. A graph gets the backward helper only.
     */
    static void install(org.deeplearning4j.nn.multilayer.MultiLayerNetwork net) {
        Layer[] layers = net.getLayers();
        if (layers == null || !enabled()) {
            return;
        }
        Layer[] replaced = layers.clone();
        boolean changed = false;
        for (int i = 0; i < replaced.length; i++) {
            if (replaced[i].getClass() == SubsamplingLayer.class) {
                Layer old = replaced[i];
                JavaSubsamplingLayer layer = new JavaSubsamplingLayer(old.conf(),
                        net.getLayerWiseConfigurations().getDataType());
                layer.setIndex(old.getIndex());
                layer.setListeners(old.getListeners());
                replaced[i] = layer;
                changed = true;
            }
        }
        if (changed) {
            net.setLayers(replaced);
            try {
                Field mapField = org.deeplearning4j.nn.multilayer.MultiLayerNetwork.class.getDeclaredField("layerMap");
                mapField.setAccessible(true);
                @SuppressWarnings("unchecked")
                Map<String, Layer> map = (Map<String, Layer>) mapField.get(net);
                if (map != null) {
                    for (int i = 0; i < replaced.length; i++) {
                        final Layer before = layers[i];
                        final Layer after = replaced[i];
                        map.replaceAll((name, l) -> l == before ? after : l);
                    }
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("DL4J's MultiLayerNetwork has no layerMap: another DL4J than 1.0.0-M2.1", e);
            }
        }
        install(replaced);
    }

    /** Puts this helper in front of every {@code SubsamplingLayer} of {@code layers}, unless {@value #PROPERTY} is {@code dl4j}. */
    static void install(Layer[] layers) {
        if (layers == null || !enabled()) {
            return;
        }
        for (Layer layer : layers) {
            if (layer instanceof SubsamplingLayer) {
                try {
                    Field helper = SubsamplingLayer.class.getDeclaredField("helper");
                    helper.setAccessible(true);
                    Object current = helper.get(layer);
                    if (!(current instanceof JavaMaxPooling)) {
                        helper.set(layer, new JavaMaxPooling((SubsamplingHelper) current));
                    }
                } catch (ReflectiveOperationException | RuntimeException e) {
                    return; // another DL4J: its own path stays, correct as before
                }
            }
        }
    }

    static boolean handles(INDArray input, int[] kernel, int[] strides, int[] pad, PoolingType type,
                                   ConvolutionMode mode, int[] dilation, CNN2DFormat format) {
        return type == PoolingType.MAX && format == CNN2DFormat.NCHW && mode != ConvolutionMode.Causal
                && kernel[0] == 2 && kernel[1] == 2 && strides[0] == 2 && strides[1] == 2
                && pad[0] == 0 && pad[1] == 0 && dilation[0] == 1 && dilation[1] == 1
                && contiguous(input) && input.rank() == 4 && input.size(2) % 2 == 0 && input.size(3) % 2 == 0;
    }

    private static boolean contiguous(INDArray a) {
        return a != null && a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isEmpty()
                && a.elementWiseStride() == 1 && a.offset() + a.length() <= a.data().length()
                && a.data().length() <= Integer.MAX_VALUE;
    }

    /** The array's elements as a float buffer of exactly its length (position 0). */
    private static FloatBuffer floats(INDArray a) {
        return io.fedge.core.model.lean.HostFloats.buffer(a);
    }

    @Override
    public INDArray activate(INDArray input, boolean training, int[] kernel, int[] strides, int[] pad,
                             PoolingType poolingType, ConvolutionMode convolutionMode, int[] dilation,
                             CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (!handles(input, kernel, strides, pad, poolingType, convolutionMode, dilation, format)) {
            return fallback == null ? null : fallback.activate(input, training, kernel, strides, pad, poolingType,
                    convolutionMode, dilation, format, workspaceMgr);
        }
        return forward(input, workspaceMgr);
    }

    /** The forward of a window this class {@link #handles}: each 2x2 window's maximum, in an activations array of {@code workspaceMgr}. */
    static INDArray forward(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        long n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT,
                new long[] {n, c, h / 2, w / 2}, 'c');
        FloatBuffer x = floats(input);
        FloatBuffer y = floats(out);
        int width = (int) w, rows = (int) (n * c * h / 2), half = width / 2;
        int o = 0;
        for (int r = 0; r < rows; r++) {
            int a = 2 * r * width; // the window row pair starting at input row 2r
            for (int j = 0; j < half; j++, a += 2, o++) {
                y.put(o, Math.max(Math.max(x.get(a), x.get(a + 1)), Math.max(x.get(a + width), x.get(a + width + 1))));
            }
        }
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, int[] kernel, int[] strides,
                                                     int[] pad, PoolingType poolingType,
                                                     ConvolutionMode convolutionMode, int[] dilation,
                                                     CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (!handles(input, kernel, strides, pad, poolingType, convolutionMode, dilation, format)
                || !contiguous(epsilon) || epsilon.length() * 4 != input.length()) {
            return fallback == null ? null : fallback.backpropGradient(input, epsilon, kernel, strides, pad,
                    poolingType, convolutionMode, dilation, format, workspaceMgr);
        }
        INDArray grad = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
        FloatBuffer x = floats(input);
        FloatBuffer e = floats(epsilon);
        FloatBuffer g = floats(grad);
        int width = (int) input.size(3), rows = (int) (input.size(0) * input.size(1) * input.size(2) / 2);
        int half = width / 2;
        int o = 0;
        for (int r = 0; r < rows; r++) {
            int a = 2 * r * width;
            for (int j = 0; j < half; j++, a += 2, o++) {
                float v0 = x.get(a), v1 = x.get(a + 1), v2 = x.get(a + width), v3 = x.get(a + width + 1);
                float m = Math.max(Math.max(v0, v1), Math.max(v2, v3));
                float d = e.get(o);
                // the first maximum in row-major order takes the gradient
                int at = v0 == m ? 0 : v1 == m ? 1 : v2 == m ? 2 : 3;
                g.put(a, at == 0 ? d : 0f);
                g.put(a + 1, at == 1 ? d : 0f);
                g.put(a + width, at == 2 ? d : 0f);
                g.put(a + width + 1, at == 3 ? d : 0f);
            }
        }
        return new Pair<>(new DefaultGradient(), grad);
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return Map.of();
    }

    @Override
    public boolean checkSupported() {
        return true;
    }
}
