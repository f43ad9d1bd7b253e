package io.fedge.core.model.lean;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * A fully connected layer, DL4J's {@code DenseLayer} or, with a {@link LeanLoss}, its
 * {@code OutputLayer}: {@code a = f(x W + b)}. The products are native BLAS calls on column-major
 * buffers (DL4J's {@code W} is a column-major {@code [in, out]} view of the flat parameters, and
 * so is its gradient here); the bias, the activation and its derivative run on a heap copy of the
 * output, one bulk copy each way.
 *
 * <p>Backward, from {@code dA} (the gradient of the loss with respect to {@code a}, summed over the
 * batch): {@code dZ = dA * f'(z)}, {@code dW = x^T dZ}, {@code db = sum over examples of dZ},
 * {@code dX = dZ W^T}.
 */
final class LeanDense implements LeanLayer {
    private final int in;
    private final int out;
    private final INDArray weights;
    private final INDArray weightGradient;
    /** The bias's first element in the flat parameters and gradient, or -1 without a bias. */
    private final int biasAt;
    private final FloatBuffer parameters;
    private final FloatBuffer gradient;
    private final LeanActivation activation;
    private final LeanLoss loss;
    private final BatchBuffer outputs;
    private final BatchBuffer outputGradients;
    private final float[] bias;
    /** Column-major heap copies: the layer's output (after the forward) and the gradient being back-propagated. */
    private float[] act = new float[0];
    private float[] delta = new float[0];
    private INDArray input;
    private int n;
    /** The flattened view of the last image batch in, and the column-major view of the last image gradient out. */
    private INDArray flattenedFrom;
    private INDArray flattened;
    private INDArray transposedOf;
    private INDArray transposed;
    /** DL4J's inverted dropout on the layer's input: the probability of keeping a value, or 0 without dropout. */
    private final double retain;
    /** The dropout mask (0 or 1 / retain, row-major) and the dropped input, in the input's memory order. */
    private final BatchBuffer droppedByColumn;
    private final BatchBuffer masksByRow;
    private final BatchBuffer droppedByRow;
    private INDArray mask;

    LeanDense(int in, int out, INDArray weights, INDArray weightGradient, int biasAt, FloatBuffer parameters,
              FloatBuffer gradient, LeanActivation activation, LeanLoss loss,
              double retain) {
        this.in = in;
        this.out = out;
        this.weights = weights;
        this.weightGradient = weightGradient;
        this.biasAt = biasAt;
        this.parameters = parameters;
        this.gradient = gradient;
        this.activation = activation;
        this.loss = loss;
        this.outputs = BatchBuffer.columns(out);
        this.outputGradients = BatchBuffer.columns(out);
        this.bias = new float[out];
        this.retain = retain;
        this.droppedByColumn = retain > 0 ? BatchBuffer.columns(in) : null;
        this.masksByRow = retain > 0 ? BatchBuffer.rowMajor(in) : null;
        this.droppedByRow = retain > 0 ? BatchBuffer.rowMajor(in) : null;
    }

    /**
     * DL4J's {@code Dropout.applyDropout}: a row-major mask of ones, libnd4j's
     * {@code DropOutInverted} on it (0 with probability {@code 1 - retain}, else {@code 1 / retain},
     * from ND4J's random generator, as DL4J draws it), and the input times the mask.
     */
    private INDArray dropout(INDArray x, int examples) {
        // the mask row-major whatever the input's layout: DL4J's activations between layers are, so its
        // generator's draws land on the same examples and units
        mask = masksByRow.rows(examples);
        INDArray dropped = (x.ordering() == 'f' ? droppedByColumn : droppedByRow).rows(examples);
        mask.assign(1.0);
        Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.random.impl.DropOutInverted(mask, mask, retain));
        Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp(x, mask,
                dropped));
        return dropped;
    }

    @Override
    public INDArray forward(INDArray x, int examples) {
        if (x.rank() != 2) {
            // a row-major image batch flattened, as DL4J's CnnToFeedForwardPreProcessor (the view is kept:
            // the pooling below hands the same array for the same batch size)
            if (x != flattenedFrom) {
                flattenedFrom = x;
                flattened = x.reshape('c', examples, in);
            }
            x = flattened;
        }
        if (retain > 0) {
            x = dropout(x, examples);
        }
        this.input = x;
        this.n = examples;
        INDArray z = outputs.rows(examples);
        Nd4j.gemm(x, weights, z, false, false, 1.0, 0.0);
        int length = examples * out;
        if (act.length < length) {
            act = new float[length];
            delta = new float[length];
        }
        FloatBuffer host = outputs.host();
        HostFloats.read(host, act, length);
        if (biasAt >= 0) {
            parameters.get(biasAt, bias, 0, out);
            for (int j = 0; j < out; j++) {
                float b = bias[j];
                int column = j * examples;
                for (int i = 0; i < examples; i++) {
                    act[column + i] += b;
                }
            }
        }
        if (loss == null) {
            activation.apply(act, length);
        }
        HostFloats.write(act, host, length); // the output layer's pre-activations: only its loss reads them
        return z;
    }

    /** The output layer's loss: turns the pre-activations into outputs, keeps the gradient for {@link #backward}. */
    double loss(float[] labels) {
        return loss.lossAndGradient(act, labels, delta, n, out);
    }

    boolean isOutput() {
        return loss != null;
    }

    int inputs() {
        return in;
    }

    int outputs() {
        return out;
    }

    @Override
    public INDArray outputGradient(int examples) {
        return outputGradients.rows(examples);
    }

    @Override
    public void backward(INDArray below) {
        int length = n * out;
        INDArray dz = outputGradients.rows(n);
        FloatBuffer host = outputGradients.host();
        if (loss == null) {
            HostFloats.read(host, delta, length);
            activation.backprop(act, delta, length);
        }
        if (biasAt >= 0) {
            for (int j = 0; j < out; j++) {
                float sum = 0;
                int column = j * n;
                for (int i = 0; i < n; i++) {
                    sum += delta[column + i];
                }
                bias[j] = sum;
            }
            gradient.put(biasAt, bias, 0, out);
        }
        HostFloats.write(delta, host, length);
        Nd4j.gemm(input, dz, weightGradient, true, false, 1.0, 0.0);
        if (below != null && below.rank() == 2) {
            Nd4j.gemm(dz, weights, below, false, true, 1.0, 0.0);
            if (retain > 0) {
                below.muli(mask); // DL4J's Dropout.backprop: the input gradient through the same mask
            }
        } else if (below != null) {
            // a row-major image batch [n, C, H, W] below: its memory is the column-major [in, n] matrix
            // (dZ W^T)^T = W dZ^T, which BLAS writes directly (a row-major output would not take BLAS's path)
            if (below != transposedOf) {
                transposedOf = below;
                transposed = Nd4j.create(below.data(), new long[] {in, n}, new long[] {1, in}, below.offset(), 'f');
            }
            Nd4j.gemm(weights, dz, transposed, false, true, 1.0, 0.0);
            if (retain > 0) {
                below.reshape('c', n, in).muli(mask);
            }
        }
    }

    @Override
    public String describe() {
        return (loss != null ? "output " : "dense ") + in + "->" + out + " "
                + (loss != null ? loss.describe() : activation.name().toLowerCase(java.util.Locale.ROOT))
                + (retain > 0 ? " dropout(keep " + retain + ")" : "");
    }
}
