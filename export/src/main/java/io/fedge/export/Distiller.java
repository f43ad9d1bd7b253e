package io.fedge.export;

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

    /** Trains {@code student} (a preset name) against {@code teacher} on {@code transfer}; returns it ending in softmax. */
    public MultiLayerNetwork distil(MultiLayerNetwork teacher, String student, DataSet transfer) {
        INDArray soft = DistillationLoss.soften(teacher.output(transfer.getFeatures(), false), temperature);
        INDArray labels = DistillationLoss.labels(soft, transfer.getLabels());
        MultiLayerNetwork net = new MultiLayerNetwork(StudentPresets.byName(student, seed, learningRate,
                new DistillationLoss(temperature, alpha)));
        net.init();
        train(net, transfer.getFeatures(), labels);
        MultiLayerNetwork inference = new MultiLayerNetwork(StudentPresets.byName(student, seed, learningRate, null));
        inference.init(net.params().dup(), false);
        return inference;
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
