package io.fedge.export;

import io.fedge.core.model.Network;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * Distils a teacher network into a student on a transfer set the coordinator may hold (never the
 * evaluation set): the student learns the teacher's outputs softened at temperature {@code T},
 * mixed with the hard labels by {@code alpha} ({@link DistillationLoss}).
 *
 * @param temperature softening temperature (4 by default)
 * @param alpha weight of the teacher's soft targets against the hard labels (0.7 by default)
 * @param epochs passes over the transfer set
 * @param batchSize mini-batch size
 * @param learningRate Adam's step size
 * @param seed initialisation and shuffling
 */
public record Distiller(double temperature, double alpha, int epochs, int batchSize, double learningRate, long seed) {
    public static Distiller defaults() {
        return new Distiller(4, 0.7, 10, 64, 0.002, 1);
    }

    /** Examples the teacher infers at once while it labels the transfer set. */
    private static final int TEACHER_BATCH = 1024;

    public Distiller {
        if (!(temperature > 0) || !(alpha >= 0 && alpha <= 1) || epochs < 0 || batchSize <= 0
                || !(learningRate > 0)) {
            throw new IllegalArgumentException("distiller: need temperature > 0, alpha in [0, 1], epochs >= 0, "
                    + "batch size > 0, learning rate > 0: " + temperature + ", " + alpha + ", " + epochs + ", "
                    + batchSize + ", " + learningRate);
        }
    }

    /**
     * The labels the student learns, {@code [soft | hard]} ({@link DistillationLoss}): the teacher's
     * probabilities on the transfer set softened to the temperature, beside the transfer set's own
     * labels. The teacher runs in batches of {@value #TEACHER_BATCH}; for a graph, its first output.
     *
     * @throws IllegalArgumentException if the teacher's outputs are not probabilities (a row is
     *     negative or does not sum to 1): distillation needs a softmax output
     */
    public INDArray targets(Network teacher, DataSet transfer) {
        INDArray features = transfer.getFeatures();
        long n = features.size(0);
        INDArray[] parts = new INDArray[(int) ((n + TEACHER_BATCH - 1) / TEACHER_BATCH)];
        for (int i = 0; i < parts.length; i++) {
            long from = (long) i * TEACHER_BATCH;
            parts[i] = teacher.output(features.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from,
                    Math.min(n, from + TEACHER_BATCH)), org.nd4j.linalg.indexing.NDArrayIndex.all()))[0].dup();
        }
        INDArray probabilities = parts.length == 1 ? parts[0] : Nd4j.vstack(parts);
        checkProbabilities(probabilities);
        return DistillationLoss.labels(DistillationLoss.soften(probabilities, temperature), transfer.getLabels());
    }

    private static void checkProbabilities(INDArray p) {
        double min = p.minNumber().doubleValue();
        if (!(min >= 0)) {
            throw new IllegalArgumentException("the teacher's outputs are not probabilities (one is " + min
                    + "): distillation needs a teacher ending in softmax");
        }
        double[] sums = p.sum(1).toDoubleVector();
        for (int i = 0; i < sums.length; i++) {
            if (!(Math.abs(sums[i] - 1) <= 1e-3)) {
                throw new IllegalArgumentException("the teacher's outputs are not probabilities (example " + i
                        + " sums to " + sums[i] + "): distillation needs a teacher ending in softmax");
            }
        }
    }

    /**
     * Trains a fresh network of {@code inference}'s architecture (its seeded initialisation, its
     * output layer emitting logits into {@link DistillationLoss}) on {@code features} and
     * {@link #targets}; returns the trained network in its inference form (softmax).
     */
    public MultiLayerNetwork distil(MultiLayerConfiguration inference, INDArray features, INDArray targets) {
        MultiLayerNetwork net = new MultiLayerNetwork(DistillationHead.training(inference,
                new DistillationLoss(temperature, alpha)));
        net.init();
        train(net, features, targets);
        MultiLayerNetwork out = new MultiLayerNetwork(inference.clone());
        out.init(net.params().dup(), false);
        return out;
    }

    private static int[] toInt(long[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = (int) idx[i];
        }
        return out;
    }

    /** Trains {@code net} on {@code features} and {@code labels} in shuffled mini-batches. */
    void train(MultiLayerNetwork net, INDArray features, INDArray labels) {
        train(net, features, labels, () -> { });
    }

    /** As above, running {@code afterStep} after every mini-batch (to re-apply pruning masks). */
    void train(MultiLayerNetwork net, INDArray features, INDArray labels, Runnable afterStep) {
        int n = (int) features.size(0);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random rng = new Random(seed);
        for (int e = 0; e < epochs; e++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                long[] idx = new long[to - from];
                for (int i = from; i < to; i++) {
                    idx[i - from] = order[i];
                }
                net.fit(new DataSet(Nd4j.pullRows(features, 1, toInt(idx)), Nd4j.pullRows(labels, 1, toInt(idx))));
                afterStep.run();
            }
        }
    }
}
