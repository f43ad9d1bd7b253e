package io.fedge.export;

import io.fedge.edge.EdgeActivation;
import io.fedge.edge.GlobalPool;
import io.fedge.edge.Window2d;

import java.util.List;

/**
 * One operation of a network lowered for the edge format, still in float: what DL4J's layers
 * become once BatchNorm is folded, activations are fused into the layer before them, and dropout
 * and flattening (which move nothing) are gone. Each names the DL4J activation its output equals
 * ({@code tensor}), where calibration measures its scale. Weights are output-major.
 */
sealed interface FloatOp {
    /** The DL4J activation this op's output equals. */
    String tensor();

    /** A dense layer; {@code w[o * in + i]}. */
    record Dense(int in, int out, float[] w, float[] b, EdgeActivation activation, String tensor) implements FloatOp {
    }

    /** A convolution; {@code w[((o * inChannels + c) * kh + ky) * kw + kx]}. */
    record Conv(int inChannels, int outChannels, Window2d window, float[] w, float[] b, EdgeActivation activation,
                String tensor) implements FloatOp {
    }

    /** Max or average pooling over windows. */
    record Pool(boolean max, int channels, Window2d window, boolean includePadding, String tensor) implements FloatOp {
    }

    /** Global max or average pooling of each channel. */
    record Global(GlobalPool.Kind kind, int channels, int height, int width, String tensor) implements FloatOp {
    }

    /** {@code activation(main(x) + shortcut(x))}; an empty shortcut is the identity. */
    record Residual(List<FloatOp> main, List<FloatOp> shortcut, EdgeActivation activation, String tensor)
            implements FloatOp {
    }
}
