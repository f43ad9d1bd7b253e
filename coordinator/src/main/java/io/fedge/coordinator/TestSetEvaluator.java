package io.fedge.coordinator;

import io.fedge.core.model.Evaluation;
import io.fedge.core.model.Evaluator;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.Network;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Evaluates global models on a fixed labelled test set with DL4J, split across {@code threads}
 * threads (the clients are idle while the coordinator evaluates, so the cores are free). Keeps
 * one network per thread and architecture and only swaps parameters between rounds. The model may
 * be a {@code MultiLayerNetwork} or a {@code ComputationGraph} ({@link Network}); a graph is judged
 * by its first output. It is evaluated with the global model's parameters as they are: under FedBN
 * ({@code bn=local}) those are the BatchNorm parameters no client sends, still as they started, so
 * this measures the shared layers with untrained BatchNorm; federated evaluation, where each client
 * evaluates with its own BatchNorm, measures what the clients actually use.
 *
 * <p>Not thread-safe: the coordinator calls it from its round thread only. {@link #close()}
 * stops the evaluation threads.
 */
public final class TestSetEvaluator implements ServerEvaluator, AutoCloseable {
    private final List<Evaluator> slices = new ArrayList<>();
    private final List<Network> networks = new ArrayList<>();
    private final ExecutorService pool;
    private String cachedConfig;

    /** Evaluates on one thread per core. */
    public TestSetEvaluator(DataSet testSet, int batchSize) {
        this(testSet, batchSize, Runtime.getRuntime().availableProcessors());
    }

    public TestSetEvaluator(DataSet testSet, int batchSize, int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive: " + threads);
        }
        int n = testSet.numExamples();
        int parts = Math.max(1, Math.min(threads, n));
        for (int p = 0; p < parts; p++) {
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            slices.add(new Evaluator(slice(testSet, from, to), batchSize));
        }
        this.pool = Executors.newFixedThreadPool(parts, r -> {
            Thread t = new Thread(r, "fedge-evaluate");
            t.setDaemon(true);
            return t;
        });
    }

    private static DataSet slice(DataSet data, int from, int to) {
        if (from == 0 && to == data.numExamples()) {
            return data;
        }
        return new DataSet(
                data.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).dup(),
                data.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).dup());
    }

    @Override
    public Evaluation evaluate(GlobalModel model) {
        if (!model.configJson().equals(cachedConfig)) {
            networks.clear();
            for (int i = 0; i < slices.size(); i++) {
                networks.add(Network.fromJson(model.configJson()));
            }
            cachedConfig = model.configJson();
        }
        float[] params = model.parameters();
        List<Future<Evaluation>> parts = new ArrayList<>();
        for (int i = 0; i < slices.size(); i++) {
            Network net = networks.get(i);
            Evaluator slice = slices.get(i);
            parts.add(pool.submit(() -> {
                net.setParameters(params);
                return slice.evaluate(net);
            }));
        }
        long n = 0;
        double correct = 0;
        double loss = 0;
        io.fedge.core.metrics.Metrics metrics = null;
        try {
            for (Future<Evaluation> f : parts) {
                Evaluation e = f.get();
                n += e.examples();
                correct += e.accuracy() * e.examples();
                loss += e.loss() * e.examples();
                if (e.metrics() != null) {
                    metrics = metrics == null ? e.metrics() : metrics.merge(e.metrics()); // the slices' sums add up exactly
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while evaluating", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("evaluation failed", e.getCause());
        }
        return new Evaluation(n, n == 0 ? 0 : correct / n, n == 0 ? 0 : loss / n, metrics);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
