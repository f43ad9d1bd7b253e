package io.fedge.examples;

import io.fedge.client.FederatedClient;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;

import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/** A device embedding the fedge client: its data stays here, only model updates leave. */
public final class EmbeddedClient {
    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int device = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        // The device's own examples; on a real device, any DL4J DataSetIterator.
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN);
        int[] mine = IntStream.range(device * 6000, (device + 1) * 6000).toArray();
        try (FederatedClient client = FederatedClient.builder()
                .coordinator(host, 7070)
                .clientId("device-" + device)
                .data(train.toDataSet(mine))
                .build()) {
            client.start();
            // Returns when the coordinator ends the federation.
            client.awaitTermination(1, TimeUnit.DAYS);
            System.out.println("sent " + client.updatesSent() + " updates");
        }
    }
}
