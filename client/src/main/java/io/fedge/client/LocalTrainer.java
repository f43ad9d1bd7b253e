package io.fedge.client;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.Evaluator;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.Network;
import io.fedge.core.model.ParameterSpans;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Trains a global model on a client's local data with mini-batch SGD, with the corrections a
 * task asks for (momentum, FedProx, SCAFFOLD, client-side privacy), and returns the update. The
 * data is read once from the iterator the application gave and kept as one data set, so the
 * coordinator's batch size applies whatever the iterator's was.
 *
 * <p>The model may be any DL4J network fedge can feed ({@link Network}): a {@code MultiLayerNetwork}
 * or a {@code ComputationGraph} (residual, several inputs), with the local data's rows laid out for
 * its inputs as {@link io.fedge.core.model.RowLayout} says (images channel-first, sequences
 * time-major).
 *
 * <p>Networks are cached per thread and per architecture (the configuration JSON): training many
 * virtual clients on a few threads builds only a few networks. Safe to call from several threads at once for different
 * clients; one client's calls must not overlap.
 */
public final class LocalTrainer implements LocalWork {
    private static final ThreadLocal<Map<String, Network>> NETWORKS = ThreadLocal.withInitial(HashMap::new);
    /** Per thread, the shuffled copy of the local data being trained on, grown to the largest client's. */
    private static final ThreadLocal<INDArray[]> FEATURE_BUFFERS = ThreadLocal.withInitial(() -> new INDArray[1]);
    private static final ThreadLocal<INDArray[]> LABEL_BUFFERS = ThreadLocal.withInitial(() -> new INDArray[1]);

    private final DataSet data;
    private volatile Random privacyNoise = new SecureRandom();

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

    @Override
    public long declaredExamples() {
        return numExamples();
    }

    /** Secure aggregation and every local training correction. */
    @Override
    public List<String> features() {
        List<String> all = new ArrayList<>();
        all.add(io.fedge.comm.WireProtocol.FEATURE_SECURE_AGGREGATION);
        all.addAll(LocalTraining.allFeatures());
        return all;
    }

    @Override
    public LocalUpdate train(TrainingJob job) {
        return train(job.model(), job.localEpochs(), job.batchSize(), job.learningRate(), job.seed(), job.local(),
                job.serverControl(), job.clientControl(), job.keptBatchNorm());
    }

    @Override
    public Evaluation evaluate(EvaluationJob job) {
        return evaluate(job.model(), job.batchSize(), job.keptBatchNorm());
    }

    /**
     * Trains {@code global} for {@code epochs} passes over the local data in shuffled batches of
     * {@code batchSize} with learning rate {@code learningRate}: plain mini-batch SGD.
     */
    public LocalUpdate train(GlobalModel global, int epochs, int batchSize, double learningRate, long seed) {
        return train(global, epochs, batchSize, learningRate, seed, LocalTraining.NONE, null, null);
    }

    /**
     * Trains as {@link #train(GlobalModel, int, int, double, long)} with the corrections of
     * {@code local} in every step ({@link LocalCorrections}: momentum, FedProx's proximal term,
     * SCAFFOLD's {@code c - c_i}), then client-side privacy on the model delta (clipping to
     * {@code clip_norm}, Gaussian noise of {@code noise_stddev} per coordinate). Under SCAFFOLD
     * (option II) the update is {@code [y - x ; c_i+ - c_i]} with
     * {@code c_i+ = c_i - c + (x - y) / (K * lr)} after {@code K} local steps, and
     * {@link LocalUpdate#controlVariate} is {@code c_i+}; privacy touches the model half only.
     * With {@link LocalTraining#NONE} this is plain SGD, bit for bit.
     *
     * @param serverControl SCAFFOLD's {@code c}, one value per parameter; null without SCAFFOLD
     * @param clientControl this client's {@code c_i}, one value per parameter; null without SCAFFOLD
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if corrections are asked of a network
     *     that does not train with plain SGD, or the network has more than one output
     */
    public LocalUpdate train(GlobalModel global, int epochs, int batchSize, double learningRate, long seed,
                             LocalTraining local, float[] serverControl, float[] clientControl) {
        return train(global, epochs, batchSize, learningRate, seed, local, serverControl, clientControl, null);
    }

    /**
     * Trains as {@link #train(GlobalModel, int, int, double, long, LocalTraining, float[], float[])},
     * and under FedBN ({@link LocalTraining#localBatchNorm()}, Li et al. 2021) with this client's own
     * BatchNorm parameters: the network starts from the global parameters with every BatchNorm
     * coordinate ({@link Network#batchNormParameters()}: gamma, beta, running mean and variance)
     * replaced by {@code keptBatchNorm}, the update is zero at those coordinates (before clipping,
     * so the clip bounds what is sent, and after the privacy noise, so nothing about them leaves
     * the device), and {@link LocalUpdate#batchNorm()}
     * holds their trained values for the client to keep. SCAFFOLD's control variate is zero at
     * BatchNorm's running statistics, and under FedBN at every BatchNorm coordinate: no gradient
     * trains them, or they never reach the server.
     *
     * @param keptBatchNorm the BatchNorm values this client kept from its last accepted round (in the
     *     order of {@link ParameterSpans#gather}), or null to start from the global model's; ignored
     *     without FedBN
     * @throws IllegalArgumentException if {@code keptBatchNorm} does not hold one value per BatchNorm coordinate
     */
    public LocalUpdate train(GlobalModel global, int epochs, int batchSize, double learningRate, long seed,
                             LocalTraining local, float[] serverControl, float[] clientControl,
                             float[] keptBatchNorm) {
        Objects.requireNonNull(local, "local");
        long start = System.nanoTime();
        Network net = network(global);
        if (net.outputCount() != 1) {
            throw new FedgeException(ErrorCode.MALFORMED, "the model is a graph with " + net.outputCount()
                    + " outputs; local data give one label row per example, for one output");
        }
        ParameterSpans kept = local.localBatchNorm() ? net.batchNormParameters() : ParameterSpans.NONE;
        float[] from = global.parameters();
        if (!kept.isEmpty() && keptBatchNorm != null) {
            kept.scatter(keptBatchNorm, from); // refuses a vector of another length
            net.setParameters(from);
        }
        net.setLearningRate(learningRate);
        LocalCorrections corrections = null;
        if (LocalCorrections.needed(local)) {
            LocalCorrections.check(net);
            corrections = new LocalCorrections(net, local, serverControl, clientControl, kept);
            net.setListeners(corrections);
        }
        double lossSum = 0;
        int n = data.numExamples();
        try {
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
                for (int first = 0; first < n; first += batchSize) {
                    int to = Math.min(n, first + batchSize);
                    net.fit(features.get(NDArrayIndex.interval(first, to), NDArrayIndex.all()),
                            labels.get(NDArrayIndex.interval(first, to), NDArrayIndex.all()));
                    lossSum += net.score() * (to - first);
                }
            }
        } finally {
            if (corrections != null) {
                net.setListeners(); // the network is this thread's, shared by the clients it trains
            }
        }
        float[] trained = net.parameters();
        int p = trained.length;
        float[] delta = new float[local.updateLength(p)];
        for (int i = 0; i < p; i++) {
            delta[i] = trained[i] - from[i];
        }
        float[] nextControl = null;
        if (local.scaffold()) {
            // option II: c_i+ = c_i - c + (x - y) / (K lr), from the true delta, before any privacy noise
            double inverse = 1.0 / ((double) corrections.steps() * learningRate);
            nextControl = new float[p];
            for (int i = 0; i < p; i++) {
                nextControl[i] = (float) (clientControl[i] - serverControl[i] - delta[i] * inverse);
            }
            net.statistics().union(kept).zero(nextControl, 0); // no gradient trains them, or they stay here
            for (int i = 0; i < p; i++) {
                delta[p + i] = nextControl[i] - clientControl[i];
            }
        }
        kept.zero(delta, 0); // FedBN: nothing of the client's own BatchNorm leaves the device, nor counts in the clip
        if (local.clipNorm() > 0 || local.noiseStddev() > 0) {
            ClientPrivacy.apply(delta, p, local.clipNorm(), local.noiseStddev(), privacyNoise);
            kept.zero(delta, 0); // and no noise goes out in its place
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new LocalUpdate(delta, data.numExamples(), lossSum / data.numExamples(), millis, nextControl,
                local.localBatchNorm() ? kept.gather(trained) : null);
    }

    /** Replaces the source of client-side privacy noise (a {@link SecureRandom}); for seeded tests. */
    void privacyNoise(Random source) {
        this.privacyNoise = Objects.requireNonNull(source, "source");
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
        return evaluate(global, batchSize, null);
    }

    /**
     * Accuracy and loss of {@code global} on the local data, with this client's own BatchNorm
     * parameters in place of the global ones when it keeps them (FedBN), null otherwise.
     *
     * @throws IllegalArgumentException if {@code keptBatchNorm} does not hold one value per BatchNorm coordinate
     */
    public Evaluation evaluate(GlobalModel global, int batchSize, float[] keptBatchNorm) {
        Network net = network(global);
        if (keptBatchNorm != null) {
            float[] params = global.parameters();
            net.batchNormParameters().scatter(keptBatchNorm, params);
            net.setParameters(params);
        }
        return new Evaluator(data, batchSize).evaluate(net);
    }

    /**
     * How many BatchNorm coordinates the model of {@code configJson} has (what a client keeps under
     * FedBN), from this thread's network for it.
     */
    static int batchNormCount(String configJson) {
        return NETWORKS.get().computeIfAbsent(configJson, Network::fromJson).batchNormParameters().count();
    }

    /**
     * This thread's network for the model's architecture, holding the model's parameters, with no
     * state of the clients it trained before: a stateful updater (a configuration with Adam, say)
     * starts afresh, and the iteration and epoch counts (which drive schedules) start at zero.
     */
    private static Network network(GlobalModel global) {
        Network net = NETWORKS.get().computeIfAbsent(global.configJson(), Network::fromJson);
        net.setParameters(global.parameters());
        net.resetTrainingState();
        return net;
    }
}
