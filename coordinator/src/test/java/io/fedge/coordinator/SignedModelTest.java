package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clients that pin the coordinator's model-signing key train only on models it signed. */
class SignedModelTest {
    private static LabeledImages train;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final KeyPair coordinatorKeys = ModelSigner.newKeyPair();

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(600);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Coordinator coordinator(PrivateKey signingKey) throws Exception {
        Coordinator.Builder b = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(1).minAvailableClients(2)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(2)
                .roundTimeout(Duration.ofMinutes(2));
        if (signingKey != null) {
            b.modelSigningKey(signingKey);
        }
        Coordinator c = b.build();
        closeables.add(c);
        return c.start();
    }

    private FederatedClient client(Coordinator c, int index, PublicKey pinned) {
        int[] idx = new int[300];
        for (int j = 0; j < idx.length; j++) {
            idx[j] = index * 300 + j;
        }
        FederatedClient.Builder b = FederatedClient.builder()
                .coordinator(c.localAddress())
                .clientId("client-" + index)
                .data(train.toDataSet(idx))
                .reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5))
                .seed(index);
        if (pinned != null) {
            b.trustedModelKey(pinned);
        }
        FederatedClient client = b.build();
        closeables.add(client);
        return client.start();
    }

    @Test
    void aClientPinningTheRightKeyTrainsAndOnePinningAnotherRefuses() throws Exception {
        Coordinator c = coordinator(coordinatorKeys.getPrivate());
        FederatedClient honest = client(c, 0, coordinatorKeys.getPublic());
        FederatedClient misled = client(c, 1, ModelSigner.newKeyPair().getPublic());
        assertTrue(c.awaitRounds(2, TimeUnit.MINUTES), "rounds did not finish");
        RoundRecord first = c.history().rounds().get(0);
        assertTrue(first.succeeded());
        assertEquals(1, first.clients(), "only the client that verified the model trained");
        assertEquals(1, first.failures(), "the refusing client counts as a failure of the round");
        // the client counts an update when its write completes, on its own event loop: that can come
        // after the coordinator has already folded it and finished the round (CI, once)
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> honest.updatesSent() >= 2);
        assertEquals(2, honest.updatesSent());
        assertEquals(0, misled.updatesSent(), "no update from a model whose signature failed");
    }

    @Test
    void aPinningClientRefusesUnsignedModels() throws Exception {
        Coordinator c = coordinator(null);
        FederatedClient unpinned = client(c, 0, null);
        FederatedClient pinned = client(c, 1, coordinatorKeys.getPublic());
        assertTrue(c.awaitRounds(2, TimeUnit.MINUTES), "rounds did not finish");
        assertEquals(1, c.history().rounds().get(0).clients());
        assertTrue(unpinned.updatesSent() >= 1, "a client that pins nothing accepts unsigned models");
        assertEquals(0, pinned.updatesSent());
    }
}
