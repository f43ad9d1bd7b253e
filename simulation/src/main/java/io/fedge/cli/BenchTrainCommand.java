package io.fedge.cli;

import io.fedge.client.LocalTrainer;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.GlobalModel;
import io.fedge.simulation.NativeThreads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code fedge bench-train}: local training throughput of the client, in samples per second,
 * measured the way the PyTorch reference's {@code train_throughput.py} measures it: after a
 * warm-up, several timed runs of a few seconds each, reporting the median.
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = {"Measure local training throughput (samples/s) of the client's DL4J training, "
                + "one JSON line per model and trainer count."})
final class BenchTrainCommand implements Callable<Integer>, OptionChecks.Validated {
    @Option(names = "--models", split = ",", description = "models to measure; default ${DEFAULT-VALUE}")
    List<String> models = List.of("mlp", "cnn");

    @Option(names = "--trainers", split = ",", description = "how many clients train at once, one thread each; default ${DEFAULT-VALUE}")
    List<Integer> trainers = List.of(1, 2);

    @Option(names = "--batch", description = "mini-batch size; default ${DEFAULT-VALUE}")
    int batch = 32;

    @Option(names = "--seconds", description = "length of one timed run; default ${DEFAULT-VALUE}")
    double seconds = 3;

    @Option(names = "--runs", description = "timed runs; the median is reported; default ${DEFAULT-VALUE}")
    int runs = 5;

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @Override
    public void validate() {
        for (String m : models) {
            OptionChecks.oneOf("--models", m, io.fedge.core.model.ModelProviders.names());
        }
        for (int t : trainers) {
            OptionChecks.between("--trainers", t, 1, 29);
        }
        OptionChecks.atLeast("--batch", batch, 1);
        OptionChecks.positive("--seconds", seconds);
        OptionChecks.atLeast("--runs", runs, 1);
    }

    @Override
    public Integer call() throws Exception {
        LabeledImages train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        for (String model : models) {
            for (int t : trainers) {
                NativeThreads.limit(1);
                measure(train, model, t);
            }
        }
        return 0;
    }

    private void measure(LabeledImages train, String model, int trainerCount) throws Exception {
        GlobalModel global = io.fedge.core.model.ModelSource.named(model)
                .initialModel(io.fedge.core.model.InputShape.FASHION_MNIST, 10, 1, 0.05);
        List<LocalTrainer> locals = new ArrayList<>();
        for (int i = 0; i < trainerCount; i++) {
            int[] idx = new int[2048];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = i * idx.length + j;
            }
            locals.add(new LocalTrainer(train.toDataSet(idx)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(trainerCount);
        try {
            timedRun(pool, locals, global, Math.max(seconds, 3));
            double[] rates = new double[runs];
            for (int r = 0; r < runs; r++) {
                rates[r] = timedRun(pool, locals, global, seconds);
            }
            double[] sorted = rates.clone();
            Arrays.sort(sorted);
            StringBuilder all = new StringBuilder();
            for (double rate : rates) {
                all.append(all.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", rate));
            }
            boolean lean = io.fedge.core.model.Network.fromJson(global.configJson()).trainingPath().startsWith("lean");
            System.out.printf(Locale.ROOT, "{\"model\": \"%s\", \"trainers\": %d, \"batch\": %d, \"path\": \"%s\", "
                            + "\"samples_per_sec_median\": %.1f, \"runs\": [%s]}%n", model, trainerCount, batch,
                    lean ? "lean" : "dl4j", sorted[runs / 2], all);
        } finally {
            pool.shutdownNow();
        }
    }

    /** All trainers train whole epochs until {@code secs} passed; returns total samples per second. */
    private double timedRun(ExecutorService pool, List<LocalTrainer> locals, GlobalModel global, double secs)
            throws Exception {
        long start = System.nanoTime();
        long end = start + (long) (secs * 1e9);
        List<Future<Long>> futures = new ArrayList<>();
        for (LocalTrainer local : locals) {
            futures.add(pool.submit(() -> {
                long samples = 0;
                long seed = 0;
                while (System.nanoTime() < end) {
                    local.train(global, 1, batch, 0.05, seed++);
                    samples += local.numExamples();
                }
                return samples;
            }));
        }
        long total = 0;
        for (Future<Long> f : futures) {
            total += f.get();
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }
}
