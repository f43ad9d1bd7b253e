package io.fedge.core.model.lean;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
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
 * must be one the lean path computes exactly as DL4J does: dense layers with ReLU, tanh, sigmoid
 * or identity; NCHW 2-D convolutions with those activations; 2x2 max pooling with stride 2 (a ReLU
 * below it folded in); batch normalization (NCHW images or a dense layer's rows, learned gamma and
 * beta); activation layers; DL4J's {@code FeedForwardToCnnPreProcessor} turning the features into
 * images and its {@code CnnToFeedForwardPreProcessor} flattening them; DL4J's {@code Dropout} on
 * dense and output layers; an output layer with softmax and cross-entropy or identity and squared
 * error. Parameters train by plain SGD, Nesterovs momentum or Adam without schedules (BatchNorm's
 * running statistics by DL4J's {@code NoOp}; the client's corrections, its momentum among them,
 * act on the gradient as in DL4J's own loop), without regularization, weight noise, constraints
 * or gradient normalization. Anything else keeps DL4J's {@code fit}, and the reason names the
 * first layer or setting in the way.
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
        Stack stack = new Stack();
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            org.deeplearning4j.nn.conf.layers.Layer c = layer.conf().getLayer();
            String name = "layer " + i + " (" + c.getClass().getSimpleName() + ")";
            boolean last = i == layers.length - 1;
            InputPreProcessor p = pre.get(i);
            if (p != null) {
                if (p.getClass() == FeedForwardToCnnPreProcessor.class && i == 0) {
                    FeedForwardToCnnPreProcessor f = (FeedForwardToCnnPreProcessor) p;
                    stack.image = new long[] {f.getNumChannels(), f.getInputHeight(), f.getInputWidth()};
                    stack.inputWidth = stack.image[0] * stack.image[1] * stack.image[2];
                } else if (p.getClass() == CnnToFeedForwardPreProcessor.class && stack.image != null
                        && ((CnnToFeedForwardPreProcessor) p).getFormat() == CNN2DFormat.NCHW) {
                    CnnToFeedForwardPreProcessor f = (CnnToFeedForwardPreProcessor) p;
                    long[] image = stack.image;
                    if (f.getNumChannels() != image[0] || f.getInputHeight() != image[1]
                            || f.getInputWidth() != image[2]) {
                        return refuse(name + "'s input preprocessor flattens " + f.getNumChannels() + "x"
                                + f.getInputHeight() + "x" + f.getInputWidth() + " images, the layer below gives "
                                + image[0] + "x" + image[1] + "x" + image[2]);
                    }
                    stack.applyPending();
                    stack.rowWidth = image[0] * image[1] * image[2];
                    stack.image = null; // row-major images are their flattened rows
                    stack.flattened = true;
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
            boolean isNorm = c.getClass() == BatchNormalization.class
                    && layer.getClass() == org.deeplearning4j.nn.layers.normalization.BatchNormalization.class;
            boolean isActivation = c.getClass() == ActivationLayer.class
                    && layer.getClass() == org.deeplearning4j.nn.layers.ActivationLayer.class;
            if (!isDense && !isOutput && !isConvolution && !isPooling && !isNorm && !isActivation) {
                return refuse(name + " is not on the lean path");
            }
            if (last && !isOutput) {
                return refuse(name + " is the last layer; the lean path needs an OutputLayer there");
            }
            String why = settings(c, layer.paramTable(false).keySet());
            if (why != null) {
                return refuse(name + " has " + why);
            }
            if ((isNorm || isActivation) && stack.lean.isEmpty()) {
                return refuse(name + " works on the features; the lean path takes it above another layer");
            }
            if ((isNorm || isActivation) && stack.image == null && stack.flattened) {
                return refuse(name + " takes flattened images; the lean path takes it on images or on a dense "
                        + "layer's rows");
            }
            if (isConvolution) {
                if (stack.image == null) {
                    return refuse(name + " takes rows, not images");
                }
                ConvolutionLayer cl = (ConvolutionLayer) c;
                LeanActivation act = LeanActivation.of(cl.getActivationFn());
                if (act == null) {
                    return refuse(name + " has activation " + cl.getActivationFn());
                }
                LeanConvolution conv = convolution(layer, cl, stack.image, flat, gradient);
                if (conv == null) {
                    return refuse(name + " has a shape, mode or parameter layout the lean path does not take");
                }
                stack.applyPending();
                stack.lean.add(conv);
                stack.image = new long[] {conv.outChannels(), conv.outHeight(), conv.outWidth()};
                stack.pending = act; // applied by the layer above: folded into a max pooling, or on its own
                stack.pendingFrom = "conv " + i;
                continue;
            }
            if (isPooling) {
                String pooled = maxPooling2x2(c);
                if (pooled != null) {
                    return refuse(name + " is " + pooled + "; the lean path takes 2x2 max pooling with stride 2");
                }
                if (stack.image == null) {
                    return refuse(name + " takes rows, not images");
                }
                long[] image = stack.image;
                if (image[1] % 2 != 0 || image[2] % 2 != 0) {
                    return refuse(name + " pools " + image[1] + "x" + image[2]
                            + " maps, the lean pooling takes even sizes");
                }
                if (stack.pending != LeanActivation.RELU) {
                    stack.applyPending();
                }
                stack.lean.add(new LeanMaxPooling(image, stack.pending == LeanActivation.RELU));
                stack.pending = null;
                stack.image = new long[] {image[0], image[1] / 2, image[2] / 2};
                continue;
            }
            if (isActivation) {
                LeanActivation act = LeanActivation.of(((ActivationLayer) c).getActivationFn());
                if (act == null) {
                    return refuse(name + " has activation " + ((ActivationLayer) c).getActivationFn());
                }
                if (stack.image != null) {
                    stack.applyPending();
                    stack.pending = act; // a max pooling above may fold it
                    stack.pendingFrom = "layer " + i;
                } else {
                    stack.lean.add(LeanActivationLayer.rows(act, stack.rowWidth, "layer " + i));
                }
                continue;
            }
            if (isNorm) {
                String norm = batchNorm(layer, (BatchNormalization) c, stack, flat, parameters, gradientHost);
                if (norm != null) {
                    return refuse(name + norm);
                }
                continue;
            }
            if (stack.image != null) {
                return refuse(name + " takes images without a CnnToFeedForwardPreProcessor");
            }
            LeanDense dense;
            if (isDense) {
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
            if (stack.rowWidth >= 0 && dense.inputs() != stack.rowWidth) {
                return refuse(name + " takes " + dense.inputs() + " inputs, the layer below gives " + stack.rowWidth);
            }
            if (stack.inputWidth < 0) {
                stack.inputWidth = dense.inputs();
            }
            stack.rowWidth = dense.outputs();
            stack.flattened = false;
            stack.lean.add(dense);
        }
        return new Result(List.copyOf(stack.lean), gradient, stack.inputWidth, null);
    }

    /** The lean layers planned so far and what flows out of the last of them. */
    private static final class Stack {
        final List<LeanLayer> lean = new ArrayList<>();
        /** The width of the features, -1 before a layer says it. */
        long inputWidth = -1;
        /** The images [C, H, W] flowing between layers, or null while rows flow. */
        long[] image;
        /** The width of the rows flowing between layers, -1 before the first layer says it. */
        long rowWidth = -1;
        /** Whether the rows are images flattened (row-major), not a dense layer's (column-major). */
        boolean flattened;
        /** An activation on the images not applied yet (a convolution's or an ActivationLayer's), or null. */
        LeanActivation pending;
        String pendingFrom;

        /** Adds the pending activation as a layer of its own (identity needs none). */
        void applyPending() {
            if (pending != null && pending != LeanActivation.IDENTITY) {
                lean.add(LeanActivationLayer.images(pending, image, pendingFrom));
            }
            pending = null;
        }
    }

    /**
     * Adds the lean batch normalization for {@code layer} on what flows, or says why it cannot (the
     * reason follows the layer's name).
     */
    private static String batchNorm(Layer layer, BatchNormalization b, Stack stack, INDArray flat,
                                    FloatBuffer parameters, FloatBuffer gradient) {
        if (b.isLockGammaBeta()) {
            return " has locked gamma and beta";
        }
        if (stack.image != null && b.getCnn2DFormat() != CNN2DFormat.NCHW) {
            return " normalizes " + b.getCnn2DFormat() + " images (the lean path takes NCHW)";
        }
        long channels = stack.image != null ? stack.image[0] : stack.rowWidth;
        if (b.getNOut() != channels) {
            return " normalizes " + b.getNOut() + " channels, the layer below gives " + channels;
        }
        String stat = b.isUseLogStd() ? "log10stdev" : "var";
        int[] at = new int[4];
        String[] names = {"gamma", "beta", "mean", stat};
        for (int k = 0; k < names.length; k++) {
            INDArray param = layer.getParam(names[k]);
            if (param == null || param.length() != channels || param.elementWiseStride() != 1
                    || root(param) != root(flat)) {
                return "'s parameters are not laid out as DL4J's are";
            }
            at[k] = Math.toIntExact(param.offset() - flat.offset());
        }
        if (layer.numParams() != 4 * channels) {
            return "'s parameters are not laid out as DL4J's are";
        }
        stack.applyPending();
        int c = Math.toIntExact(channels);
        stack.lean.add(stack.image != null
                ? LeanBatchNorm.images(c, Math.toIntExact(stack.image[1]), Math.toIntExact(stack.image[2]),
                        b.getEps(), b.getDecay(), b.isUseLogStd(), at[0], at[1], at[2], at[3], parameters, gradient)
                : LeanBatchNorm.rows(c, b.getEps(), b.getDecay(), b.isUseLogStd(), at[0], at[1], at[2], at[3],
                        parameters, gradient));
        return null;
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
