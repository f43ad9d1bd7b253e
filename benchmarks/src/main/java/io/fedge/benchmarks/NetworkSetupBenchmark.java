package io.fedge.benchmarks;

import io.fedge.core.model.ModelPresets;
import io.fedge.core.model.Network;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A client's set-up before it trains a round (issue 15's "cheaper per-client set-up" lever), two
 * ways, for each preset:
 * <ul>
 * <li>{@code build}: a network built from the global model's configuration JSON and given its
 *     parameters (DL4J's configuration parsed, layers and parameter views made, the training path
 *     planned), what a client would pay each round without {@code LocalTrainer}'s cache;</li>
 * <li>{@code cached}: the thread's cached network of that architecture given the parameters and
 *     its training state reset, what it pays with the cache.</li>
 * </ul>
 * Both end with a network holding the same parameters ({@link #setup} checks it).
 *
 * <pre>
 * OMP_NUM_THREADS=1 benchmarks/jmh NetworkSetup
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NetworkSetupBenchmark {
    @Param({"mlp", "cnn", "simplecnn", "cnn-bn"})
    String model;

    private String json;
    private float[] parameters;
    private Network cached;

    @Setup
    public void setup() {
        json = ModelPresets.byName(model, 1, 0.01).toJson();
        Network first = Network.fromJson(json);
        parameters = first.parameters().clone();
        for (int i = 0; i < parameters.length; i++) {
            parameters[i] += 1e-3f * (i % 7);
        }
        cached = Network.fromJson(json);
        if (!java.util.Arrays.equals(build().parameters(), cached().parameters())) {
            throw new IllegalStateException("the two set-ups differ");
        }
    }

    @Benchmark
    public Network build() {
        Network n = Network.fromJson(json);
        n.setParameters(parameters);
        return n;
    }

    @Benchmark
    public Network cached() {
        cached.setParameters(parameters);
        cached.resetTrainingState();
        return cached;
    }
}
