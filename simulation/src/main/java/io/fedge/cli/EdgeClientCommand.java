package io.fedge.cli;

import io.fedge.core.data.FashionMnist;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.EdgeModelFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code fedge edge-client}: an inference-only device. It polls the coordinator for the newest
 * signed edge model, checks the signature against the pinned key, and runs it with the pure-Java
 * int8 engine on the Fashion-MNIST test set, reporting accuracy and per-image latency.
 */
@Command(name = "edge-client", mixinStandardHelpOptions = true,
        description = "Fetch the newest signed edge model from a coordinator (fedge coordinator --edge-every) and run it "
                + "with the pure-Java int8 engine on the Fashion-MNIST test set.")
final class EdgeClientCommand implements Callable<Integer>, OptionChecks.Validated {
    @Option(names = "--url", description = "the coordinator's edge model URL; default ${DEFAULT-VALUE}")
    URI url = URI.create("https://127.0.0.1:7071/edge-model");

    @Option(names = "--key", description = "the coordinator's model-signing public key (model-signing.pub); "
            + "default ${DEFAULT-VALUE}")
    Path key = Path.of("certs", "model-signing.pub");

    @Option(names = "--ca", description = "for an https URL: the fleet's CA certificate to trust (ca.crt); "
            + "default ${DEFAULT-VALUE}")
    Path ca = Path.of("certs", "ca.crt");

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--every", description = "seconds between checks for a newer model; 0 = check once; default ${DEFAULT-VALUE}")
    int every;

    @Override
    public void validate() {
        OptionChecks.atLeast("--every", every, 0);
        OptionChecks.oneOf("--url scheme", String.valueOf(url.getScheme()), java.util.List.of("http", "https"));
    }

    @Override
    public Integer call() throws Exception {
        EdgeModelFetcher fetcher = new EdgeModelFetcher(url, EdgeModelFetcher.readPublicKey(key),
                "https".equals(url.getScheme()) ? EdgeModelFetcher.trusting(EdgeModelFetcher.readCertificate(ca)) : null);
        io.fedge.core.data.LabeledImages test = FashionMnist.load(data, FashionMnist.Split.TEST);
        float[][] images = test.toDataSet().getFeatures().toFloatMatrix();
        int[] labels = test.labels();
        String etag = null;
        do {
            Optional<EdgeModelFetcher.Fetched> fetched;
            try {
                fetched = fetcher.fetchIfNewer(etag);
            } catch (java.io.IOException e) {
                System.err.println("cannot fetch " + url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage()));
                if (every == 0) {
                    return 1;
                }
                Thread.sleep(every * 1000L);
                continue;
            }
            if (fetched.isPresent()) {
                etag = fetched.get().etag();
                EdgeModel model = fetched.get().model();
                long t0 = System.nanoTime();
                int correct = 0;
                for (int i = 0; i < images.length; i++) {
                    correct += model.classify(images[i]) == labels[i] ? 1 : 0;
                }
                double micros = (System.nanoTime() - t0) / 1e3 / images.length;
                System.out.printf(Locale.ROOT, "edge model %s (%s, from global version %s): signature ok, accuracy %.4f on %d "
                                + "images, %.1f us per image%n", etag, model.metadata().get("student"),
                        model.metadata().get("teacher_version"), (double) correct / images.length, images.length, micros);
            } else if (etag == null) {
                System.out.println("no edge model published yet at " + url);
            }
            if (every > 0) {
                Thread.sleep(every * 1000L);
            }
        } while (every > 0);
        return 0;
    }

}
