package io.fedge.examples;

import io.fedge.edge.EdgeModel;
import io.fedge.edge.EdgeModelFetcher;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Optional;

/**
 * A device that only infers: it depends on {@code fedge-edge} alone (no ND4J, no native code),
 * keeps the newest edge model the coordinator publishes (signature checked against the pinned
 * key), and classifies with it.
 *
 * <pre>
 * java -cp fedge-edge.jar:fedge-examples.jar io.fedge.examples.EdgeDevice http://coordinator:7071/edge-model model-signing.pub
 * </pre>
 */
public final class EdgeDevice {
    private EdgeDevice() {
    }

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args.length > 0 ? args[0] : "http://127.0.0.1:7071/edge-model");
        PublicKey coordinatorKey = EdgeModelFetcher.readPublicKey(Path.of(args.length > 1 ? args[1] : "certs/model-signing.pub"));
        EdgeModelFetcher fetcher = new EdgeModelFetcher(url, coordinatorKey);
        EdgeModel model = null;
        String etag = null;
        for (int check = 0; check < 3; check++) {
            Optional<EdgeModelFetcher.Fetched> newer = fetcher.fetchIfNewer(etag); // SecurityException if forged
            if (newer.isPresent()) {
                model = newer.get().model();
                etag = newer.get().etag();
                System.out.println("running edge model " + etag + ": " + model.metadata());
            }
            if (model != null) {
                float[] pixels = new float[model.inputSize()]; // the device's own input, here a blank image
                System.out.println("class " + model.classify(pixels));
            }
            Thread.sleep(1_000);
        }
    }

}
