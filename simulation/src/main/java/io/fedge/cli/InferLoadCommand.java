package io.fedge.cli;

import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code fedge infer-load}: load on a gateway's {@code POST /infer} (docs/gateways.md), as many
 * devices that cannot run a model would put on it: {@code --concurrency} connections each sending
 * requests back to back for {@code --seconds}, Fashion-MNIST test images as float32 rows. Prints the
 * requests per second and the latency percentiles (HdrHistogram, microsecond resolution).
 */
@Command(name = "infer-load", mixinStandardHelpOptions = true,
        description = {"Load a gateway's inference endpoint: --concurrency devices sending --batch images per "
                + "request back to back for --seconds, after --warmup seconds; prints requests/s and p50/p99/p99.9."})
final class InferLoadCommand implements Callable<Integer>, OptionChecks.Validated {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", required = true, description = "the gateway's edge endpoint, http(s)://HOST:PORT")
    URI url;

    @Option(names = "--concurrency", description = "devices sending at once; default ${DEFAULT-VALUE}")
    int concurrency = 16;

    @Option(names = "--seconds", description = "measured seconds; default ${DEFAULT-VALUE}")
    int seconds = 20;

    @Option(names = "--warmup", description = "seconds of load before measuring; default ${DEFAULT-VALUE}")
    int warmup = 5;

    @Option(names = "--batch", description = "images per request; default ${DEFAULT-VALUE}")
    int batch = 1;

    @Option(names = "--ca", description = "the federation's ca.crt, for an https:// gateway")
    Path ca;

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @Override
    public void validate() {
        OptionChecks.between("--concurrency", concurrency, 1, 4096);
        OptionChecks.between("--seconds", seconds, 1, 3600);
        OptionChecks.between("--warmup", warmup, 0, 3600);
        OptionChecks.between("--batch", batch, 1, 64);
        String scheme = String.valueOf(url.getScheme());
        if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw new IllegalArgumentException("--url must be http(s)://HOST:PORT, not " + url);
        }
    }

    @Override
    public Integer call() throws Exception {
        float[][] images = FashionMnist.load(data, FashionMnist.Split.TEST).head(1000).toDataSet().getFeatures()
                .toFloatMatrix();
        List<byte[]> bodies = new ArrayList<>();
        for (int b = 0; b + batch <= images.length; b += batch) {
            ByteBuffer buf = ByteBuffer.allocate(batch * images[0].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = b; i < b + batch; i++) {
                for (float v : images[i]) {
                    buf.putFloat(v);
                }
            }
            bodies.add(buf.array());
        }
        HttpClient http = io.fedge.edge.EdgeModelFetcher.client(ca == null ? null
                : io.fedge.edge.EdgeModelFetcher.trusting(io.fedge.edge.EdgeModelFetcher.readCertificate(ca)));
        URI infer = url.resolve("/infer");
        Recorder latencies = new Recorder(3);
        AtomicLong errors = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<String> lastError = new java.util.concurrent.atomic.AtomicReference<>();
        long measureFrom = System.nanoTime() + Duration.ofSeconds(warmup).toNanos();
        long until = measureFrom + Duration.ofSeconds(seconds).toNanos();
        CountDownLatch done = new CountDownLatch(concurrency);
        for (int t = 0; t < concurrency; t++) {
            int first = t;
            Thread th = new Thread(() -> {
                try {
                    int k = first;
                    while (System.nanoTime() < until) {
                        byte[] body = bodies.get(k++ % bodies.size());
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(infer)
                                    .header("Content-Type", "application/octet-stream")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
                            long t1 = System.nanoTime();
                            if (r.statusCode() != 200) {
                                errors.incrementAndGet();
                                lastError.set(r.statusCode() + " " + new String(r.body()).strip());
                            } else if (t0 >= measureFrom && t1 <= until) {
                                latencies.recordValue(Math.max(1, (t1 - t0) / 1_000));
                            }
                        } catch (java.io.IOException e) {
                            errors.incrementAndGet();
                            lastError.set(e instanceof java.net.ConnectException ? "cannot connect to " + infer
                                    : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "fedge-infer-load-" + t);
            th.setDaemon(true);
            th.start();
        }
        done.await(); // the warm-up's requests were not recorded
        Histogram h = latencies.getIntervalHistogram();
        long n = h.getTotalCount();
        spec.commandLine().getOut().printf(Locale.ROOT, "infer-load: %d requests of %d image%s in %d s at concurrency "
                        + "%d: %.0f requests/s (%.0f images/s); latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, "
                        + "max %.2f ms; %d errors%n", n, batch, batch == 1 ? "" : "s", seconds, concurrency,
                n / (double) seconds, n * batch / (double) seconds, h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3,
                errors.get());
        if (errors.get() > 0) {
            spec.commandLine().getErr().println("infer-load: last error: " + lastError.get());
            return CliErrors.FAILED;
        }
        return n == 0 ? CliErrors.FAILED : 0;
    }
}
