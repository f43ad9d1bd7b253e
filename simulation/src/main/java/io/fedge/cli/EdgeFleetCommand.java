package io.fedge.cli;

import io.fedge.core.data.FashionMnist;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.EdgeModelFetcher;
import io.fedge.edge.InferenceTelemetry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fedge edge-fleet}: many simulated inference-only devices against one coordinator's edge
 * endpoint. Each device has an id, fetches its model with it (the canary's devices get the
 * canary), checks the signature, runs the int8 model on its own slice of the Fashion-MNIST test
 * set with the labels known, and reports its telemetry every {@code --batch} inferences. It runs
 * until the coordinator answers that the canary it saw running was decided (or
 * {@code --max-inferences}), and prints how many inferences the verdict took.
 */
@Command(name = "edge-fleet", mixinStandardHelpOptions = true,
        description = "Simulate a fleet of inference-only devices: fetch the edge model per device id (canary or "
                + "stable), run it on Fashion-MNIST test images, report telemetry, until the canary is decided.")
final class EdgeFleetCommand implements Callable<Integer>, OptionChecks.Validated {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", description = "the coordinator's edge endpoint; default ${DEFAULT-VALUE}")
    URI url = URI.create("https://127.0.0.1:7071");

    @Option(names = "--key", description = "the coordinator's model-signing public key; default ${DEFAULT-VALUE}")
    Path key = Path.of("certs", "model-signing.pub");

    @Option(names = "--ca", description = "for https: the fleet's CA certificate; default ${DEFAULT-VALUE}")
    Path ca = Path.of("certs", "ca.crt");

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--devices", description = "simulated devices; default ${DEFAULT-VALUE}")
    int devices = 1_000;

    @Option(names = "--batch", description = "inferences between two reports of a device; default ${DEFAULT-VALUE}")
    int batch = 10;

    @Option(names = "--check-every", description = "reports between two checks of a device for a newer model; default "
            + "${DEFAULT-VALUE}")
    int checkEvery = 5;

    @Option(names = "--max-inferences", description = "stop after this many inferences across the fleet; default "
            + "${DEFAULT-VALUE}")
    long maxInferences = 2_000_000;

    @Override
    public void validate() {
        OptionChecks.between("--devices", devices, 1, 100_000);
        OptionChecks.between("--batch", batch, 1, 10_000);
        OptionChecks.atLeast("--max-inferences", maxInferences, 1);
        OptionChecks.between("--check-every", checkEvery, 1, 1_000_000);
        OptionChecks.oneOf("--url scheme", String.valueOf(url.getScheme()), java.util.List.of("http", "https"));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        boolean https = "https".equals(url.getScheme());
        javax.net.ssl.SSLContext tls = https ? EdgeModelFetcher.trusting(EdgeModelFetcher.readCertificate(ca)) : null;
        java.security.PublicKey pinned = EdgeModelFetcher.readPublicKey(key);
        HttpClient http = EdgeModelFetcher.client(tls);
        EdgeModelFetcher[] fetchers = new EdgeModelFetcher[devices];
        for (int d = 0; d < devices; d++) {
            fetchers[d] = new EdgeModelFetcher(url.resolve("/edge-model"), pinned, http,
                    String.format(Locale.ROOT, "device-%05d", d));
        }
        io.fedge.core.data.LabeledImages test = FashionMnist.load(data, FashionMnist.Split.TEST);
        float[][] images = test.toDataSet().getFeatures().toFloatMatrix();
        int[] labels = test.labels();
        Map<String, EdgeModel> byTag = new HashMap<>(); // devices on the same version share one parsed model
        long[] reports = new long[devices];
        String[] tag = new String[devices];
        long[] versions = new long[devices];
        String[] release = new String[devices];
        InferenceTelemetry[] telemetry = new InferenceTelemetry[devices];
        int[] cursor = new int[devices];
        long total = 0;
        long[] byRelease = new long[2]; // stable, canary
        String seenRunning = null;
        long refused = 0;
        long t0 = System.nanoTime();
        for (long sweep = 0; total < maxInferences; sweep++) {
            boolean anyModel = false;
            for (int d = 0; d < devices && total < maxInferences; d++) {
                String id = String.format(Locale.ROOT, "device-%05d", d);
                java.util.Optional<EdgeModelFetcher.Fetched> f = tag[d] == null || reports[d]++ % checkEvery == 0
                        ? fetchers[d].fetchIfNewer(tag[d]) : java.util.Optional.empty();
                if (f.isPresent()) {
                    tag[d] = f.get().etag();
                    versions[d] = f.get().version();
                    release[d] = f.get().release();
                    byTag.putIfAbsent(tag[d], f.get().model());
                }
                if (tag[d] == null) {
                    continue;
                }
                anyModel = true;
                EdgeModel model = byTag.get(tag[d]);
                long version = versions[d];
                if (telemetry[d] == null) {
                    telemetry[d] = new InferenceTelemetry(id, model.classes());
                }
                for (int k = 0; k < batch; k++) {
                    int i = (d * 9_973 + cursor[d]++) % images.length;
                    long s = System.nanoTime();
                    float[] p = model.predict(images[i]);
                    telemetry[d].record(version, System.nanoTime() - s, p, labels[i]);
                }
                total += batch;
                byRelease["canary".equals(release[d]) ? 1 : 0] += batch;
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve("/edge-telemetry"))
                        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(telemetry[d].drain())).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    // a version the coordinator no longer serves (the release moved on): fetch again
                    if (refused++ == 0) {
                        out.println("device " + id + ": report refused (HTTP " + r.statusCode() + "): " + r.body()
                                + " (further refusals counted, not printed)");
                    }
                    tag[d] = null;
                    continue;
                }
                String state = stateOf(r.body());
                if (state.equals("running")) {
                    seenRunning = state;
                } else if (seenRunning != null && !state.equals("none")) {
                    out.printf(Locale.ROOT, "%d reports refused on versions no longer served%n", refused);
                    out.printf(Locale.ROOT, "canary %s after %d inferences on the canary and %d on stable (%d in all, "
                                    + "%d devices, %.1f s)%n", state, byRelease[1], byRelease[0], total, devices,
                            (System.nanoTime() - t0) / 1e9);
                    return 0;
                }
            }
            if (!anyModel) {
                out.println("no edge model published yet at " + url);
                return 1;
            }
        }
        out.printf(Locale.ROOT, "no verdict after %d inferences (%d on the canary)%n", total, byRelease[1]);
        return 1;
    }

    /** The {@code canary} field of the telemetry answer, "none" without one. */
    private static String stateOf(String body) throws java.io.IOException {
        com.fasterxml.jackson.databind.JsonNode state = JSON.readTree(body).get("canary");
        return state == null || !state.isTextual() ? "none" : state.asText();
    }
}
