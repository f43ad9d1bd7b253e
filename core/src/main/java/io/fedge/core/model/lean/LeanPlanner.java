package io.fedge.core.model.lean;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether a DL4J layer stack trains on the lean path and builds its layers: every layer
 * must be one the lean path computes exactly as DL4J does (dense layers with ReLU, tanh, sigmoid
 * or identity; 2-D convolutions with ReLU or identity, each followed by 2x2 max pooling with
 * stride 2, on rows turned into images by DL4J's {@code FeedForwardToCnnPreProcessor} and back
 * by its {@code CnnToFeedForwardPreProcessor}; an output layer with softmax and cross-entropy or
 * identity and squared error),
 * trained by plain SGD, Nesterovs momentum or Adam without schedules (the client's corrections,
 * its momentum among them, act on the gradient as in DL4J's own loop) and without regularization, weight noise, dropout, constraints or gradient
 * normalization. Anything else keeps DL4J's {@code fit}, and the reason names the first layer or
 * setting in the way.
 */
final class LeanPlanner {
    /** The lean layers, or null with the reason. */
    record Result(List<LeanLayer> layers, INDArray gradient, long inputWidth, String reason) {
    }

    private LeanPlanner() {
    }

    static Result plan(MultiLayerNetwork net) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        if (conf.getDataType() != DataType.FLOAT) {
            return refuse("the network's data type is " + conf.getDataType() + ", the lean path trains FLOAT");
        }
        if (conf.getBackpropType() != BackpropType.Standard) {
            return refuse("truncated back-propagation through time");
        }
        Layer[] layers = net.getLayers();
        INDArray flat = net.params();
        if (layers == null || layers.length == 0 || flat == null || flat.length() > Integer.MAX_VALUE
                || flat.elementWiseStride() != 1) {
            return refuse("no flat parameter vector");
        }
        INDArray gradient = Nd4j.create(DataType.FLOAT, 1, flat.length());
        FloatBuffer parameters = HostFloats.buffer(flat);
        FloatBuffer gradientHost = HostFloats.buffer(gradient);
        java.util.Map<Integer, InputPreProcessor> pre = conf.getInputPreProcessors() == null ? java.util.Map.of()
                : conf.getInputPreProcessors();
        List<LeanLayer> lean = new ArrayList<>();
        long inputWidth = -1;
        /** The image [C, H, W] flowing between layers, or null while rows flow. */
        long[] image = null;
        /** The width of the rows flowing between layers, -1 before the first layer says it. */
        long rowWidth = -1;
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            org.deeplearning4j.nn.conf.layers.Layer c = layer.conf().getLayer();
            String name = "layer " + i + " (" + c.getClass().getSimpleName() + ")";
            boolean last = i == layers.length - 1;
            InputPreProcessor p = pre.get(i);
            if (p != null) {
                if (p.getClass() == FeedForwardToCnnPreProcessor.class && i == 0) {
                    FeedForwardToCnnPreProcessor f = (FeedForwardToCnnPreProcessor) p;
                    image = new long[] {f.getNumChannels(), f.getInputHeight(), f.getInputWidth()};
                    inputWidth = image[0] * image[1] * image[2];
                } else if (p.getClass() == CnnToFeedForwardPreProcessor.class && image != null
                        && ((CnnToFeedForwardPreProcessor) p).getFormat() == CNN2DFormat.NCHW) {
                    CnnToFeedForwardPreProcessor f = (CnnToFeedForwardPreProcessor) p;
                    if (f.getNumChannels() != image[0] || f.getInputHeight() != image[1]
                            || f.getInputWidth() != image[2]) {
                        return refuse(name + "'s input preprocessor flattens " + f.getNumChannels() + "x"
                                + f.getInputHeight() + "x" + f.getInputWidth() + " images, the layer below gives "
                                + image[0] + "x" + image[1] + "x" + image[2]);
                    }
                    rowWidth = image[0] * image[1] * image[2];
                    image = null; // row-major images are their flattened rows
                } else {
                    return refuse(name + "'s input preprocessor " + p.getClass().getSimpleName()
                            + " is not on the lean path");
                }
            }
            boolean isDense = c.getClass() == DenseLayer.class
                    && layer.getClass() == org.deeplearning4j.nn.layers.feedforward.dense.DenseLayer.class;
            boolean isOutput = c.getClass() == OutputLayer.class
                    && layer.getClass() == org.deeplearning4j.nn.layers.OutputLayer.class;
            boolean isConvolution = c.getClass() == ConvolutionLayer.class
                    && layer.getClass() == org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class;
            boolean isPooling = c.getClass() == SubsamplingLayer.class
                    && layer instanceof org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
            if (!isDense && !isOutput && !isConvolution && !isPooling) {
                return refuse(name + " is not on the lean path");
            }
            String why = settings(c, layer.paramTable(false).keySet());
            if (why != null) {
                return refuse(name + " has " + why);
            }
            if (isConvolution) {
                if (image == null) {
                    return refuse(name + " takes rows, not images");
                }
                String pooled = i + 1 < layers.length ? maxPooling2x2(layers[i + 1].conf().getLayer()) : "nothing";
                if (pooled != null) {
                    return refuse(name + " is followed by " + pooled + "; the lean path takes a convolution "
                            + "followed by 2x2 max pooling with stride 2");
                }
                ConvolutionLayer cl = (ConvolutionLayer) c;
                LeanActivation act = LeanActivation.of(cl.getActivationFn());
                if (act != LeanActivation.RELU && act != LeanActivation.IDENTITY) {
                    return refuse(name + " has activation " + cl.getActivationFn()
                            + " (the lean path folds ReLU or identity into the pooling)");
                }
                LeanConvolution conv = convolution(layer, cl, image, flat, gradient);
                if (conv == null) {
                    return refuse(name + " has a shape, mode or parameter layout the lean path does not take");
                }
                if (conv.outHeight() % 2 != 0 || conv.outWidth() % 2 != 0) {
                    return refuse(name + "'s output is " + conv.outHeight() + "x" + conv.outWidth()
                            + ", the lean pooling takes even sizes");
                }
                lean.add(conv);
                image = new long[] {conv.outChannels(), conv.outHeight(), conv.outWidth()};
                i++; // and the pooling above it, with the convolution's activation folded in
                lean.add(new LeanMaxPooling(conv, act == LeanActivation.RELU));
                image = new long[] {image[0], image[1] / 2, image[2] / 2};
                continue;
            }
            if (isPooling) {
                return refuse(name + " does not follow a convolution");
            }
            if (image != null) {
                return refuse(name + " takes images without a CnnToFeedForwardPreProcessor");
            }
            LeanDense dense;
            if (isDense) {
                if (last) {
                    return refuse(name + " is the last layer; the lean path needs an OutputLayer there");
                }
                DenseLayer d = (DenseLayer) c;
                if (d.hasLayerNorm()) {
                    return refuse(name + " has layer normalization");
                }
                LeanActivation act = LeanActivation.of(d.getActivationFn());
                if (act == null) {
                    return refuse(name + " has activation " + d.getActivationFn());
                }
                dense = dense(layer, flat, gradient, parameters, gradientHost, d.hasBias(), act, null);
            } else {
                if (!last) {
                    return refuse(name + " is an output layer before the last");
                }
                OutputLayer o = (OutputLayer) c;
                LeanLoss loss = LeanLoss.of(o.getActivationFn(), o.getLossFn());
                if (loss == null) {
                    return refuse(name + " has activation " + o.getActivationFn() + " with loss " + o.getLossFn());
                }
                dense = dense(layer, flat, gradient, parameters, gradientHost, o.hasBias(), null, loss);
            }
            if (dense == null) {
                return refuse(name + "'s parameters are not laid out as DL4J's are");
            }
            if (rowWidth >= 0 && dense.inputs() != rowWidth) {
                return refuse(name + " takes " + dense.inputs() + " inputs, the layer below gives " + rowWidth);
            }
            if (inputWidth < 0) {
                inputWidth = dense.inputs();
            }
            rowWidth = dense.outputs();
            lean.add(dense);
        }
        return new Result(List.copyOf(lean), gradient, inputWidth, null);
    }

    /** Why {@code c} is not 2x2 max pooling with stride 2, no padding, NCHW; null if it is. */
    private static String maxPooling2x2(org.deeplearning4j.nn.conf.layers.Layer c) {
        if (c.getClass() != SubsamplingLayer.class) {
            return c.getClass().getSimpleName();
        }
        SubsamplingLayer s = (SubsamplingLayer) c;
        boolean ok = s.getPoolingType() == org.deeplearning4j.nn.conf.layers.PoolingType.MAX
                && java.util.Arrays.equals(s.getKernelSize(), new int[] {2, 2})
                && java.util.Arrays.equals(s.getStride(), new int[] {2, 2})
                && java.util.Arrays.equals(s.getPadding(), new int[] {0, 0})
                && java.util.Arrays.equals(s.getDilation(), new int[] {1, 1})
                && s.getCnn2dDataFormat() == CNN2DFormat.NCHW && s.getConvolutionMode() != ConvolutionMode.Causal
                && s.getIDropout() == null;
        return ok ? null : "pooling " + s.getPoolingType() + " " + java.util.Arrays.toString(s.getKernelSize())
                + " stride " + java.util.Arrays.toString(s.getStride());
    }

    /** The lean convolution over {@code layer}'s parameter views for input {@code image}, or null. */
    private static LeanConvolution convolution(Layer layer, ConvolutionLayer c, long[] image, INDArray flat,
                                               INDArray gradient) {
        if (c.getCnn2dDataFormat() != CNN2DFormat.NCHW || c.getConvolutionMode() == ConvolutionMode.Causal) {
            return null;
        }
        INDArray w = layer.getParam("W");
        int[] k = c.getKernelSize();
        int[] s = c.getStride();
        int[] pad = c.getPadding();
        int[] d = c.getDilation();
        if (w == null || w.rank() != 4 || !rowMajorDense(w)
                || w.size(1) != image[0] || w.size(2) != k[0] || w.size(3) != k[1] || root(w) != root(flat)) {
            return null;
        }
        int out = (int) w.size(0);
        boolean same = c.getConvolutionMode() == ConvolutionMode.Same;
        long[] outSize = new long[2];
        for (int a = 0; a < 2; a++) {
            long in = image[a + 1];
            long effective = (long) d[a] * (k[a] - 1) + 1;
            outSize[a] = same ? (in + s[a] - 1) / s[a] : (in + 2L * pad[a] - effective) / s[a] + 1;
            if (outSize[a] < 1) {
                return null;
            }
        }
        long wAt = w.offset() - flat.offset();
        INDArray wGrad = Nd4j.create(gradient.data(), w.shape(), w.stride(), gradient.offset() + wAt, 'c');
        INDArray bias = null;
        INDArray bGrad = null;
        if (c.hasBias()) {
            INDArray b = layer.getParam("b");
            if (b == null || b.length() != out || b.elementWiseStride() != 1) {
                return null;
            }
            bias = b.reshape(out);
            bGrad = Nd4j.create(gradient.data(), new long[] {out}, new long[] {1},
                    gradient.offset() + b.offset() - flat.offset(), 'c');
        }
        if (layer.numParams() != w.length() + (c.hasBias() ? out : 0)) {
            return null;
        }
        int[] arguments = {k[0], k[1], s[0], s[1], same ? 0 : pad[0], same ? 0 : pad[1], d[0], d[1], same ? 1 : 0, 0, 1};
        String description = "conv " + k[0] + "x" + k[1] + " " + image[0] + "->" + out
                + (same ? " same" : "") + (s[0] != 1 || s[1] != 1 ? " stride " + s[0] + "x" + s[1] : "");
        return new LeanConvolution((int) image[0], (int) image[1], (int) image[2], out, (int) outSize[0],
                (int) outSize[1], arguments, w, bias, wGrad, bGrad, description);
    }

    private static Result refuse(String reason) {
        return new Result(null, null, -1, reason);
    }

    /** What in a layer's training settings the lean path does not reproduce, or null. */
    private static String settings(org.deeplearning4j.nn.conf.layers.Layer c, java.util.Set<String> params) {
        if (c.getIDropout() != null && retain(c) == 0) {
            return "dropout " + c.getIDropout().getClass().getSimpleName()
                    + " (the lean path takes DL4J's Dropout without a schedule on dense and output layers)";
        }
        if (c.getConstraints() != null && !c.getConstraints().isEmpty()) {
            return "constraints";
        }
        if (!(c instanceof BaseLayer b)) {
            return null;
        }
        if (b.getWeightNoise() != null) {
            return "weight noise";
        }
        if (b.getGradientNormalization() != null && b.getGradientNormalization() != GradientNormalization.None) {
            return "gradient normalization " + b.getGradientNormalization();
        }
        for (String param : params) {
            if (b.getRegularizationByParam(param) != null && !b.getRegularizationByParam(param).isEmpty()) {
                return "regularization " + b.getRegularizationByParam(param);
            }
            IUpdater u = b.getUpdaterByParam(param);
            if (LeanUpdater.of(() -> u, 0) == null) {
                String kind = u == null ? "none" : u.getClass().getSimpleName();
                return "updater " + kind + (u != null && isLeanUpdaterClass(u) ? " with a schedule" : "")
                        + " (the lean path runs Sgd, Nesterovs and Adam without schedules)";
            }
        }
        return null;
    }

    private static boolean isLeanUpdaterClass(IUpdater u) {
        return u.getClass() == Sgd.class || u.getClass() == org.nd4j.linalg.learning.config.Nesterovs.class
                || u.getClass() == org.nd4j.linalg.learning.config.Adam.class;
    }

    /**
     * The keep probability of {@code c}'s dropout when the lean path applies it (DL4J's plain
     * {@code Dropout}, no schedule, on a dense or output layer), 0 without dropout or if it cannot.
     */
    private static double retain(org.deeplearning4j.nn.conf.layers.Layer c) {
        if (!(c.getIDropout() instanceof org.deeplearning4j.nn.conf.dropout.Dropout d)
                || d.getClass() != org.deeplearning4j.nn.conf.dropout.Dropout.class || d.getPSchedule() != null
                || !(d.getP() > 0 && d.getP() < 1)
                || (c.getClass() != DenseLayer.class && c.getClass() != OutputLayer.class)) {
            return 0;
        }
        return d.getP();
    }

    /** The lean dense layer over {@code layer}'s parameter views, or null if they are not DL4J's usual ones. */
    private static LeanDense dense(Layer layer, INDArray flat, INDArray gradient, FloatBuffer parameters,
                                   FloatBuffer gradientHost, boolean hasBias, LeanActivation act, LeanLoss loss) {
        INDArray w = layer.getParam("W");
        if (w == null || w.rank() != 2 || w.ordering() != 'f' || w.stride(0) != 1 || w.stride(1) != w.size(0)
                || root(w) != root(flat)) {
            return null;
        }
        int in = (int) w.size(0);
        int out = (int) w.size(1);
        int wAt = Math.toIntExact(w.offset() - flat.offset());
        INDArray wGrad = Nd4j.create(gradient.data(), new long[] {in, out}, new long[] {1, in},
                gradient.offset() + wAt, 'f');
        int biasAt = -1;
        if (hasBias) {
            INDArray b = layer.getParam("b");
            if (b == null || b.length() != out || b.elementWiseStride() != 1) {
                return null;
            }
            biasAt = Math.toIntExact(b.offset() - flat.offset());
        }
        if (layer.numParams() != (long) in * out + (hasBias ? out : 0)) {
            return null;
        }
        return new LeanDense(in, out, w, wGrad, biasAt, parameters, gradientHost, act, loss,
                retain(layer.conf().getLayer()));
    }

    /**
     * The native address of the memory under {@code a}'s buffer: a parameter view's buffer and the
     * flat vector's are distinct objects over the same memory, their offsets counted from it.
     */
    private static long root(INDArray a) {
        return a.data().address();
    }

    /** Whether {@code a} is laid out as a fresh row-major array of its shape (strides of size-1 dimensions aside). */
    private static boolean rowMajorDense(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }
}
