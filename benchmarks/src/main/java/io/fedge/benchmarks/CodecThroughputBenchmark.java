package io.fedge.benchmarks;

import io.fedge.compression.CodecRegistry;
import io.fedge.compression.UpdateCodec;
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

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Encoding and decoding one update chunk of 16,384 parameters (fedge's default chunk, 65,536
 * bytes of fp32) with each codec pipeline, on one thread: the client's and the coordinator's cost
 * per chunk. Throughput in MB/s of fp32 input is {@code 65,536 bytes * ops/s}. The values are a
 * model delta's: Gaussian, standard deviation 0.01.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecThroughputBenchmark {
    static final int ELEMENTS = 16_384;

    @Param({"fp32", "fp16", "int8", "int4", "int8:stochastic", "sign", "topk:0.01+int8", "fp32+zstd", "int8+zstd",
            "topk:0.01+int8+zstd"})
    String codec;

    private UpdateCodec impl;
    private float[] values;
    private float[] out;
    private byte[] encoded;

    @Setup
    public void setUp() {
        impl = CodecRegistry.defaultRegistry().get(codec);
        values = new float[ELEMENTS];
        Random r = new Random(1);
        for (int i = 0; i < ELEMENTS; i++) {
            values[i] = (float) (r.nextGaussian() * 0.01);
        }
        out = new float[ELEMENTS];
        encoded = impl.encode(values, 0, ELEMENTS);
    }

    @Benchmark
    public byte[] encode() {
        return impl.encode(values, 0, ELEMENTS);
    }

    @Benchmark
    public float[] decode() {
        impl.decode(ByteBuffer.wrap(encoded), out, 0, ELEMENTS);
        return out;
    }
}
