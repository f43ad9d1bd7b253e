package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.edge.EdgeActivation;
import io.fedge.edge.GlobalPool;
import io.fedge.edge.Window2d;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * Lowers one DL4J layer (and the preprocessor before it) onto an {@link OpChain}: the layer
 * kinds, activations, modes and preprocessors the edge format can run, and for anything else one
 * line naming the layer, its type and what is supported. Stateless.
 */
final class LayerLowering {
    /** What the edge format exports, for refusal messages. */
    static final String SUPPORTED = "supported are DenseLayer, OutputLayer, ConvolutionLayer (2-D, NCHW, Same, "
            + "Truncate or Strict mode, no dilation), SubsamplingLayer (max or avg), GlobalPoolingLayer (max or avg), "
            + "BatchNormalization (right after a convolution or dense layer without activation), DropoutLayer, "
            + "ActivationLayer, and in a ComputationGraph residual blocks joined by an ElementWiseVertex Add";
    static final String ACTIVATIONS = "identity, relu, leakyrelu, tanh, sigmoid, and softmax on the output layer";

    private LayerLowering() {
    }

    /** Applies the preprocessor DL4J runs before a layer: the two flat-image reshapes, which move nothing. */
    static void preprocess(OpChain chain, InputPreProcessor pre, String where) {
        if (pre == null) {
            return;
        }
        if (pre instanceof FeedForwardToCnnPreProcessor p) {
            InputShape.Image img = new InputShape.Image(Math.toIntExact(p.getNumChannels()),
                    Math.toIntExact(p.getInputHeight()), Math.toIntExact(p.getInputWidth()));
            if (img.size() != chain.shape().size()) {
                throw refuse(where, "FeedForwardToCnnPreProcessor", "reshapes " + img.size() + " values to " + img
                        + " but gets " + chain.shape());
            }
            chain.reshape(img);
            return;
        }
        if (pre instanceof CnnToFeedForwardPreProcessor p) {
            if (p.getFormat() != null && p.getFormat() != CNN2DFormat.NCHW) {
                throw refuse(where, "CnnToFeedForwardPreProcessor", "flattens " + p.getFormat() + " images; the edge "
                        + "format lays them out channel-first (NCHW)");
            }
            InputShape.Image img = new InputShape.Image(Math.toIntExact(p.getNumChannels()),
                    Math.toIntExact(p.getInputHeight()), Math.toIntExact(p.getInputWidth()));
            if (!img.equals(chain.shape())) {
                throw refuse(where, "CnnToFeedForwardPreProcessor", "flattens " + img + " but gets " + chain.shape());
            }
            chain.reshape(new InputShape.Vector(Math.toIntExact(img.size())));
            return;
        }
        throw refuse(where, pre.getClass().getSimpleName(), "this input preprocessor cannot be exported: supported are "
                + "FeedForwardToCnnPreProcessor and CnnToFeedForwardPreProcessor (NCHW), which move nothing");
    }

    /** The layer classes the edge format runs (exactly these: subclasses such as depthwise convolutions differ). */
    private static final java.util.Set<Class<?>> KNOWN = java.util.Set.of(DenseLayer.class, OutputLayer.class,
            ConvolutionLayer.class, SubsamplingLayer.class, GlobalPoolingLayer.class, BatchNormalization.class,
            DropoutLayer.class, ActivationLayer.class);

    /**
     * Lowers one layer and the preprocessor before it.
     *
     * @param pre the input preprocessor DL4J runs before it, or null
     * @param impl the layer with its parameters
     * @param tensor the DL4J activation its output is
     * @param output whether it is the network's output layer (the only one that may end in softmax)
     */
    static void lower(OpChain chain, String where, Layer conf, InputPreProcessor pre,
                      org.deeplearning4j.nn.api.Layer impl, String tensor, boolean output) {
        Class<?> type = conf.getClass();
        String name = type.getSimpleName();
        if (!KNOWN.contains(type)) {
            throw refuse(where, name, SUPPORTED);
        }
        preprocess(chain, pre, where);
        if (type == DenseLayer.class || type == OutputLayer.class) {
            dense(chain, where, (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) conf, impl, tensor, output);
        } else if (type == ConvolutionLayer.class) {
            conv(chain, where, (ConvolutionLayer) conf, impl, tensor, output);
        } else if (type == SubsamplingLayer.class) {
            pool(chain, where, (SubsamplingLayer) conf, tensor);
        } else if (type == GlobalPoolingLayer.class) {
            global(chain, where, (GlobalPoolingLayer) conf, tensor);
        } else if (type == BatchNormalization.class) {
            batchNorm(chain, where, (BatchNormalization) conf, impl, tensor);
        } else if (type == DropoutLayer.class) {
            return; // the identity at inference; DL4J applies no activation there whatever its configuration names
        } else if (type == ActivationLayer.class) {
            fuse(chain, where, name, activation(((ActivationLayer) conf).getActivationFn(), where, name, output), tensor);
        }
    }

    static IllegalArgumentException refuse(String where, String type, String why) {
        return new IllegalArgumentException(where + " (" + type + ") cannot be exported to the edge format: " + why);
    }

    private static void dense(OpChain chain, String where, org.deeplearning4j.nn.conf.layers.FeedForwardLayer conf,
                              org.deeplearning4j.nn.api.Layer impl, String tensor, boolean output) {
        String name = conf.getClass().getSimpleName();
        if (conf instanceof DenseLayer d && d.isHasLayerNorm()) {
            throw refuse(where, name, "layer normalization is not supported");
        }
        int in = Math.toIntExact(conf.getNIn());
        int out = Math.toIntExact(conf.getNOut());
        if (chain.shape().size() != in) {
            throw refuse(where, name, "it reads " + in + " values but gets " + chain.shape());
        }
        float[] w = impl.getParam("W").transpose().dup('c').data().asFloat();
        float[] b = bias(impl, out);
        EdgeActivation a = activation(conf.getActivationFn(), where, name, output);
        chain.add(new FloatOp.Dense(in, out, w, b, a, tensor), new InputShape.Vector(out));
    }

    private static void conv(OpChain chain, String where, ConvolutionLayer conf, org.deeplearning4j.nn.api.Layer impl,
                             String tensor, boolean output) {
        String name = "ConvolutionLayer";
        InputShape.Image img = image(chain, where, name);
        if (conf.getCnn2dDataFormat() != null && conf.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
            throw refuse(where, name, "data format " + conf.getCnn2dDataFormat() + "; the edge format is NCHW");
        }
        noDilation(conf.getDilation(), where, name);
        int in = Math.toIntExact(conf.getNIn());
        int out = Math.toIntExact(conf.getNOut());
        if (in != img.channels()) {
            throw refuse(where, name, "it reads " + in + " channels but gets " + img);
        }
        Window2d window = window(conf.getConvolutionMode(), conf.getKernelSize(), conf.getStride(), conf.getPadding(),
                img, where, name);
        float[] w = impl.getParam("W").dup('c').data().asFloat();
        EdgeActivation a = activation(conf.getActivationFn(), where, name, output);
        chain.add(new FloatOp.Conv(in, out, window, w, bias(impl, out), a, tensor),
                new InputShape.Image(out, window.outHeight(), window.outWidth()));
    }

    private static void pool(OpChain chain, String where, SubsamplingLayer conf, String tensor) {
        String name = "SubsamplingLayer";
        InputShape.Image img = image(chain, where, name);
        PoolingType type = conf.getPoolingType();
        if (type != PoolingType.MAX && type != PoolingType.AVG) {
            throw refuse(where, name, type + " pooling; supported are MAX and AVG");
        }
        if (conf.getCnn2dDataFormat() != null && conf.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
            throw refuse(where, name, "data format " + conf.getCnn2dDataFormat() + "; the edge format is NCHW");
        }
        noDilation(conf.getDilation(), where, name);
        Window2d window = window(conf.getConvolutionMode(), conf.getKernelSize(), conf.getStride(), conf.getPadding(),
                img, where, name);
        chain.add(new FloatOp.Pool(type == PoolingType.MAX, img.channels(), window, conf.isAvgPoolIncludePadInDivisor(),
                tensor), new InputShape.Image(img.channels(), window.outHeight(), window.outWidth()));
    }

    private static void global(OpChain chain, String where, GlobalPoolingLayer conf, String tensor) {
        String name = "GlobalPoolingLayer";
        InputShape.Image img = image(chain, where, name);
        GlobalPool.Kind kind = switch (conf.getPoolingType()) {
            case MAX -> GlobalPool.Kind.MAX;
            case AVG -> GlobalPool.Kind.AVG;
            default -> throw refuse(where, name, conf.getPoolingType() + " pooling; supported are MAX and AVG");
        };
        int[] dims = conf.getPoolingDimensions();
        if (dims != null && !Arrays.equals(dims, new int[] {2, 3})) {
            throw refuse(where, name, "pooling over dimensions " + Arrays.toString(dims) + "; supported is [2, 3], "
                    + "height and width");
        }
        InputShape after = conf.isCollapseDimensions() ? new InputShape.Vector(img.channels())
                : new InputShape.Image(img.channels(), 1, 1);
        chain.add(new FloatOp.Global(kind, img.channels(), img.height(), img.width(), tensor), after);
    }

    private static void batchNorm(OpChain chain, String where, BatchNormalization conf,
                                  org.deeplearning4j.nn.api.Layer impl, String tensor) {
        String name = "BatchNormalization";
        FloatOp last = chain.last();
        EdgeActivation before = last instanceof FloatOp.Dense d ? d.activation()
                : last instanceof FloatOp.Conv c ? c.activation() : null;
        if (before == null || before.kind() != EdgeActivation.Kind.IDENTITY) {
            throw refuse(where, name, "a BatchNorm is folded into the convolution or dense layer right before it, "
                    + "which must have no activation; here it follows "
                    + (last == null ? "no such layer" : last.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
                    + (before == null ? "" : " with " + before)));
        }
        if (conf.getCnn2DFormat() != null && conf.getCnn2DFormat() != CNN2DFormat.NCHW) {
            throw refuse(where, name, "data format " + conf.getCnn2DFormat() + "; the edge format is NCHW");
        }
        int channels = Math.toIntExact(conf.getNOut());
        float[] gamma = conf.isLockGammaBeta() ? filled(channels, conf.getGamma()) : param(impl, "gamma", channels, where);
        float[] beta = conf.isLockGammaBeta() ? filled(channels, conf.getBeta()) : param(impl, "beta", channels, where);
        float[] mean = param(impl, "mean", channels, where);
        double[] std = conf.isUseLogStd() ? BatchNormFolding.fromLog10Std(param(impl, "log10stdev", channels, where),
                conf.getEps())
                : BatchNormFolding.fromVariance(param(impl, "var", channels, where), conf.getEps());
        // DL4J's BatchNormalization applies no activation at inference whatever its configuration names
        // (its conf defaults to the network's, sigmoid); the output is the normalized value itself
        EdgeActivation a = EdgeActivation.IDENTITY;
        if (last instanceof FloatOp.Dense d) {
            check(d.out(), channels, where, name);
            BatchNormFolding.Folded f = BatchNormFolding.fold(d.w(), d.b(), gamma, beta, mean, std);
            chain.replaceLast(new FloatOp.Dense(d.in(), d.out(), f.w(), f.b(), a, tensor));
        } else {
            FloatOp.Conv c = (FloatOp.Conv) last;
            check(c.outChannels(), channels, where, name);
            BatchNormFolding.Folded f = BatchNormFolding.fold(c.w(), c.b(), gamma, beta, mean, std);
            chain.replaceLast(new FloatOp.Conv(c.inChannels(), c.outChannels(), c.window(), f.w(), f.b(), a, tensor));
        }
    }

    private static void check(int outputs, int channels, String where, String name) {
        if (outputs != channels) {
            throw refuse(where, name, "it normalizes " + channels + " channels after a layer of " + outputs);
        }
    }

    /** Fuses a stand-alone activation into the op before it, which must have none. */
    static void fuse(OpChain chain, String where, String name, EdgeActivation a, String tensor) {
        FloatOp last = chain.last();
        if (last instanceof FloatOp.Dense d && d.activation().kind() == EdgeActivation.Kind.IDENTITY) {
            chain.replaceLast(new FloatOp.Dense(d.in(), d.out(), d.w(), d.b(), a, tensor));
        } else if (last instanceof FloatOp.Conv c && c.activation().kind() == EdgeActivation.Kind.IDENTITY) {
            chain.replaceLast(new FloatOp.Conv(c.inChannels(), c.outChannels(), c.window(), c.w(), c.b(), a, tensor));
        } else if (last instanceof FloatOp.Residual r && r.activation().kind() == EdgeActivation.Kind.IDENTITY) {
            chain.replaceLast(new FloatOp.Residual(r.main(), r.shortcut(), a, tensor));
        } else if (a.kind() != EdgeActivation.Kind.IDENTITY) {
            throw refuse(where, name, "an activation is fused into the convolution, dense layer or residual Add right "
                    + "before it, which must have none; here it follows " + (last == null ? "nothing of those"
                    : last.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)));
        }
    }

    /**
     * The edge activation for DL4J's {@code a}; softmax only on the output layer, where it becomes
     * the identity (the model emits logits and {@code EdgeModel.predict} normalizes them).
     */
    static EdgeActivation activation(IActivation a, String where, String name, boolean output) {
        if (a == null || a instanceof ActivationIdentity) {
            return EdgeActivation.IDENTITY;
        }
        if (a instanceof ActivationReLU r) {
            if (nonZero(r.getMax()) || nonZero(r.getThreshold()) || nonZero(r.getNegativeSlope())) {
                throw refuse(where, name, "ReLU with max " + r.getMax() + ", threshold " + r.getThreshold()
                        + ", negative slope " + r.getNegativeSlope() + "; only the plain max(0, x) is supported");
            }
            return EdgeActivation.RELU;
        }
        if (a instanceof ActivationLReLU l) {
            if (!(l.getAlpha() >= 0 && l.getAlpha() < 1)) {
                throw refuse(where, name, "leaky ReLU with alpha " + l.getAlpha() + "; supported is alpha in [0, 1)");
            }
            return EdgeActivation.leakyRelu((float) l.getAlpha());
        }
        if (a instanceof ActivationTanH) {
            return EdgeActivation.TANH;
        }
        if (a instanceof ActivationSigmoid) {
            return EdgeActivation.SIGMOID;
        }
        if (a instanceof ActivationSoftmax) {
            if (!output) {
                throw refuse(where, name, "softmax before the output layer; the edge format applies softmax only to "
                        + "the logits of the last layer");
            }
            return EdgeActivation.IDENTITY;
        }
        throw refuse(where, name, "activation " + a + " is not supported: " + ACTIVATIONS);
    }

    private static boolean nonZero(Double d) {
        return d != null && d != 0.0;
    }

    private static InputShape.Image image(OpChain chain, String where, String name) {
        if (!(chain.shape() instanceof InputShape.Image img)) {
            throw refuse(where, name, "it slides over images but gets a vector of " + chain.shape() + " values");
        }
        return img;
    }

    private static void noDilation(int[] dilation, String where, String name) {
        if (dilation != null) {
            for (int d : dilation) {
                if (d != 1) {
                    throw refuse(where, name, "dilation " + Arrays.toString(dilation) + "; only 1 is supported");
                }
            }
        }
    }

    private static Window2d window(ConvolutionMode mode, int[] kernel, int[] stride, int[] padding,
                                   InputShape.Image img, String where, String name) {
        try {
            if (mode == ConvolutionMode.Same) {
                return Window2d.same(img.height(), img.width(), kernel[0], kernel[1], stride[0], stride[1]);
            }
            if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict || mode == null) {
                return new Window2d(img.height(), img.width(), kernel[0], kernel[1], stride[0], stride[1], padding[0],
                        padding[1], padding[0], padding[1]);
            }
        } catch (IllegalArgumentException e) {
            throw refuse(where, name, e.getMessage());
        }
        throw refuse(where, name, "convolution mode " + mode + "; supported are Same, Truncate and Strict");
    }

    private static float[] bias(org.deeplearning4j.nn.api.Layer impl, int out) {
        INDArray b = impl.paramTable().get("b");
        return b == null ? new float[out] : b.dup('c').data().asFloat();
    }

    private static float[] param(org.deeplearning4j.nn.api.Layer impl, String key, int channels, String where) {
        INDArray p = impl.paramTable().get(key);
        if (p == null || p.length() != channels) {
            throw refuse(where, "BatchNormalization", "its parameter '" + key + "' is missing or not of " + channels
                    + " values");
        }
        return p.dup('c').data().asFloat();
    }

    private static float[] filled(int n, double v) {
        float[] a = new float[n];
        Arrays.fill(a, (float) v);
        return a;
    }
}
