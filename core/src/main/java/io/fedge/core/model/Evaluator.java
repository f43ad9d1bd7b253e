package io.fedge.core.model;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Objects;

/**
 * Evaluates a softmax classifier on a fixed data set in mini-batches: accuracy, and the mean
 * cross-entropy computed from the same forward pass. The data set is only read, so one evaluator
 * may be shared; {@link #evaluate} is as thread-safe as the network passed to it.
 */
public final class Evaluator {
    /** Probabilities are clamped here before the logarithm, as PyTorch's NLL on log-softmax would not overflow. */
    private static final double MIN_PROBABILITY = 1e-12;

    private final DataSet data;
    private final int batchSize;

    public Evaluator(DataSet data, int batchSize) {
        this.data = Objects.requireNonNull(data, "data");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
        }
        this.batchSize = batchSize;
    }

    /** How many examples {@link #evaluate} looks at. */
    public int examples() {
        return data.numExamples();
    }

    /** Accuracy and mean loss of {@code net} on the data set. */
    public Evaluation evaluate(MultiLayerNetwork net) {
        return evaluate(Network.of(net));
    }

    /** Accuracy and mean loss of a network of either kind (its first output) on the data set. */
    public Evaluation evaluate(Network net) {
        long n = data.numExamples();
        if (n == 0) {
            return new Evaluation(0, 0, 0);
        }
        long correct = 0;
        double lossSum = 0;
        INDArray features = data.getFeatures();
        INDArray labels = data.getLabels();
        for (long from = 0; from < n; from += batchSize) {
            long to = Math.min(n, from + batchSize);
            INDArray x = features.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
            INDArray y = labels.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
            INDArray output = net.output(x)[0];
            correct += output.argMax(1).eq(y.argMax(1)).castTo(DataType.INT).sumNumber().longValue();
            INDArray logP = Transforms.log(Transforms.max(output, MIN_PROBABILITY, true), false);
            lossSum -= logP.muli(y).sumNumber().doubleValue();
        }
        return new Evaluation(n, (double) correct / n, lossSum / n);
    }
}
