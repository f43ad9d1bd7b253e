package io.fedge.core.model;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import io.fedge.core.metrics.ClassificationMetrics;
import io.fedge.core.metrics.Metrics;
import io.fedge.core.metrics.RegressionMetrics;
import io.fedge.core.metrics.Task;

import java.util.Objects;

/**
 * Evaluates a model on a fixed data set in mini-batches. A softmax classifier gets accuracy, the
 * mean cross-entropy computed from the same forward pass, and {@link ClassificationMetrics} (the
 * confusion matrix, per-class precision/recall/F1); a regression model (one whose output layer has a
 * regression loss, {@link Task#of}) gets its mean squared error as the loss, no accuracy (NaN), and
 * {@link RegressionMetrics} (MSE and MAE per target). The data set is only read, so one evaluator
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

    /** Accuracy, mean loss and detailed metrics of a network of either kind (its first output) on the data set. */
    public Evaluation evaluate(Network net) {
        long n = data.numExamples();
        if (n == 0) {
            return new Evaluation(0, 0, 0);
        }
        Task task = Task.of(net);
        Metrics metrics = null;
        long correct = 0;
        double lossSum = 0;
        INDArray features = data.getFeatures();
        INDArray labels = data.getLabels();
        for (long from = 0; from < n; from += batchSize) {
            long to = Math.min(n, from + batchSize);
            INDArray x = features.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
            INDArray y = labels.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
            INDArray output = net.output(x)[0];
            Metrics batch;
            if (task == Task.REGRESSION) {
                batch = RegressionMetrics.of(flat(y), flat(output), (int) y.columns());
            } else {
                INDArray predicted = output.argMax(1);
                INDArray actual = y.argMax(1);
                correct += predicted.eq(actual).castTo(DataType.INT).sumNumber().longValue();
                INDArray logP = Transforms.log(Transforms.max(output, MIN_PROBABILITY, true), false);
                double batchLoss = -logP.muli(y).sumNumber().doubleValue();
                lossSum += batchLoss;
                batch = ClassificationMetrics.of(actual.toIntVector(), predicted.toIntVector(), (int) y.columns(),
                        batchLoss);
            }
            metrics = metrics == null ? batch : metrics.merge(batch);
        }
        if (task == Task.REGRESSION) {
            return new Evaluation(n, Double.NaN, metrics.loss(), metrics);
        }
        return new Evaluation(n, (double) correct / n, lossSum / n, metrics);
    }

    private static float[] flat(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }
}
