package io.fedge.benchmarks;

import io.fedge.comm.crypto.UpdateSealer;
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
import java.security.KeyPair;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Sealing and opening one update chunk with AES-256-GCM, as the client and the coordinator do
 * for every chunk of an update; one thread. Throughput in MB/s of plaintext is
 * {@code chunkBytes * ops/s}; compare with {@code openssl speed -evp aes-256-gcm} (16 KiB column).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class UpdateSealingBenchmark {
    /** 65,536 bytes: one chunk of 16,384 fp32 parameters, fedge's default; 16,384 as openssl's largest block. */
    @Param({"16384", "65536"})
    int chunkBytes;

    private UpdateSealer.Sealing sealing;
    private UpdateSealer.Opening opening;
    private byte[] plaintext;
    private byte[] sealed;
    private int seq = 1; // chunk 0 was sealed in setUp: the JDK refuses to reuse a GCM nonce

    @Setup
    public void setUp() {
        KeyPair aggregator = UpdateSealer.newKeyPair();
        sealing = UpdateSealer.seal(aggregator.getPublic(), 1, "device-1", 42);
        opening = UpdateSealer.open(aggregator, sealing.ephemeralPublicKey(), 1, "device-1", 42);
        plaintext = new byte[chunkBytes];
        new Random(1).nextBytes(plaintext);
        sealed = sealing.seal(0, plaintext);
    }

    @Benchmark
    public byte[] seal() {
        // A fresh nonce each time, as chunks of one upload have.
        return sealing.seal(seq++ & 0x7fffffff, plaintext);
    }

    @Benchmark
    public ByteBuffer open() {
        return opening.open(0, ByteBuffer.wrap(sealed));
    }
}
