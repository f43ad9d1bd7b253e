package io.fedge.client;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.Evaluator;
import io.fedge.core.model.GlobalModel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Trains a global model on a client's local data with plain mini-batch SGD and returns the
 * update. The data is read once from the iterator the application gave and kept as one data
 * set, so the coordinator's batch size applies whatever the iterator's was.
 *
 * <p>Networks are cached per thread and per architecture: training many virtual clients on a few
 * threads builds only a few networks. Safe to call from several threads at once for different
 * clients; one client's calls must not overlap.
 */
public final class LocalTrainer {
    private static final ThreadLocal<Map<String, MultiLayerNetwork>> NETWORKS = ThreadLocal.withInitial(HashMap::new);
    /** Per thread, the shuffled copy of the local data being trained on, grown to the largest client's. */
    private static final ThreadLocal<INDArray[]> FEATURE_BUFFERS = ThreadLocal.withInitial(() -> new INDArray[1]);
    private static final ThreadLocal<INDArray[]> LABEL_BUFFERS = ThreadLocal.withInitial(() -> new INDArray[1]);

    private final DataSet data;

    /** Reads every batch of {@code iterator} into memory. */
    public LocalTrainer(DataSetIterator iterator) {
        this(collect(iterator));
    }

    public LocalTrainer(DataSet data) {
        this.data = Objects.requireNonNull(data, "data");
        if (data.numExamples() == 0) {
            throw new IllegalArgumentException("local data set is empty");
        }
    }

    private static DataSet collect(DataSetIterator iterator) {
        Objects.requireNonNull(iterator, "iterator");
        if (iterator.resetSupported()) {
            iterator.reset();
        }
        List<DataSet> batches = new ArrayList<>();
        while (iterator.hasNext()) {
            batches.add(iterator.next());
        }
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("local data iterator yields no data");
        }
        return batches.size() == 1 ? batches.get(0) : DataSet.merge(batches);
    }

    /** The number of local examples. */
    public int numExamples() {
        return data.numExamples();
    }

    /**
     * Trains {@code global} for {@code epochs} passes over the local data in shuffled batches of
     * {@code batchSize} with learning rate {@code learningRate}.
     */
    public LocalUpdate train(GlobalModel global, int epochs, int batchSize, double learningRate, long seed) {
        long start = System.nanoTime();
        MultiLayerNetwork net = network(global);
        net.setLearningRate(learningRate);
        double lossSum = 0;
        int n = data.numExamples();
        for (int epoch = 0; epoch < epochs; epoch++) {
            lossSum = 0;
            // The order of an epoch depends on its seed alone, never on earlier rounds (an in-place
            // shuffle would compound them): a client restarted between rounds, or a coordinator
            // resumed after a crash, trains exactly as an uninterrupted federation would.
            int[] order = permutation(n, seed + epoch);
            // one native gather per matrix (ND4J's pullRows) into this thread's buffers: no allocation
            // per epoch, which two training threads would serialize on in the kernel's page faults
            INDArray features = gather(data.getFeatures(), order, FEATURE_BUFFERS);
            INDArray labels = gather(data.getLabels(), order, LABEL_BUFFERS);
            // Row ranges of the shuffled matrices are views: no per-epoch copy of the data.
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                net.fit(new DataSet(features.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()),
                        labels.get(NDArrayIndex.interval(from, to), NDArrayIndex.all())));
                lossSum += net.score() * (to - from);
            }
        }
        float[] trained = Dl4jModels.parameters(net);
        float[] delta = new float[trained.length];
        for (int i = 0; i < trained.length; i++) {
            delta[i] = trained[i] - global.parameter(i);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new LocalUpdate(delta, data.numExamples(), lossSum / data.numExamples(), millis);
    }

    /**
     * The rows of {@code source} in {@code order}, in this thread's buffer (the first rows of it,
     * a contiguous view), reallocated only for a larger data set or another row shape.
     */
    private static INDArray gather(INDArray source, int[] order, ThreadLocal<INDArray[]> buffers) {
        INDArray[] holder = buffers.get();
        INDArray buf = holder[0];
        long rows = source.rows();
        long cols = source.columns();
        if (buf == null || buf.rows() < rows || buf.columns() != cols || buf.dataType() != source.dataType()) {
            buf = org.nd4j.linalg.factory.Nd4j.create(source.dataType(), Math.max(rows, buf == null ? 0 : buf.rows()),
                    cols);
            holder[0] = buf;
        }
        INDArray view = buf.rows() == rows ? buf : buf.get(NDArrayIndex.interval(0, rows), NDArrayIndex.all());
        org.nd4j.linalg.factory.Nd4j.pullRows(source, view, 1, order);
        return view;
    }

    /** A permutation of {@code 0 .. n-1}, a function of {@code seed} alone (Fisher-Yates). */
    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        java.util.Random r = new java.util.Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Accuracy and loss of {@code global} on the local data. */
    public Evaluation evaluate(GlobalModel global, int batchSize) {
        return new Evaluator(data, batchSize).evaluate(network(global));
    }

    private static MultiLayerNetwork network(GlobalModel global) {
        MultiLayerNetwork net = NETWORKS.get().computeIfAbsent(global.configJson(), Dl4jModels::instantiate);
        Dl4jModels.setParameters(net, global.parameters());
        return net;
    }
}
