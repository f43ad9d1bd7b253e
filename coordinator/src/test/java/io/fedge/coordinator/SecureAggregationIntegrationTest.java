package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secure aggregation over real sockets with real DL4J training: the model a secure round
 * publishes must be the model plain FedAvg publishes from the same clients, seeds and dropouts,
 * within the fixed-point bound.
 */
class SecureAggregationIntegrationTest {
    private static final int CLIENTS = 10;
    private static LabeledImages train;

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(3000);
    }

    /** What one federation of one round produced. */
    private record Run(GlobalModel model, RoundRecord record) {
    }

    /**
     * One round with {@code n} clients; the {@code droppers} train nothing and disconnect: in a
     * secure round right after they committed (shared their secrets), in a plain one once selected.
     */
    private static Run federate(boolean secure, int n, Set<String> droppers) throws Exception {
        List<AutoCloseable> closeables = new ArrayList<>();
        List<FederatedClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            RoundListener dropAfterCommit = new RoundListener() {
                @Override
                public void roundStarted(long round, int selected) {
                    if (!secure) {
                        closeDroppers(clients, droppers);
                    }
                }

                @Override
                public void secureAggregationCommitted(long round, Set<String> committed) {
                    assertTrue(committed.containsAll(droppers), "the droppers committed before dropping");
                    closeDroppers(clients, droppers);
                }
            };
            Coordinator.Builder b = Coordinator.builder()
                    .bind(new InetSocketAddress("127.0.0.1", 0))
                    .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                    .strategy(FedAvg.builder().minFitClients(3).minAvailableClients(n)
                            .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                    .rounds(1)
                    .roundTimeout(Duration.ofMinutes(2))
                    .addListener(dropAfterCommit)
                    .seed(3);
            if (secure) {
                b.secureAggregation(SecureAggregation.defaults());
            }
            Coordinator c = b.build();
            closeables.add(c);
            c.start();
            int per = train.size() / n;
            for (int i = 0; i < n; i++) {
                int[] idx = new int[per - (i % 5) * (per / 10)]; // unequal sizes: the weighting matters
                for (int j = 0; j < idx.length; j++) {
                    idx[j] = i * per + j;
                }
                String id = String.format("client-%02d", i);
                FederatedClient.Builder cb = FederatedClient.builder()
                        .coordinator(c.localAddress())
                        .clientId(id)
                        .data(train.toDataSet(idx))
                        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                        .seed(i);
                cb.trainingExecutor(droppers.contains(id) ? task -> { } : pool);
                FederatedClient client = cb.build();
                clients.add(client);
                closeables.add(client);
            }
            clients.forEach(FederatedClient::start);
            // the first round's record, whether it advanced the model or not (a failed round does not
            // count toward the federation's rounds, so the coordinator would go on trying)
            org.awaitility.Awaitility.await("the first round's record").atMost(Duration.ofMinutes(3))
                    .until(() -> c.history().size() >= 1);
            return new Run(c.globalModel(), c.history().rounds().get(0));
        } finally {
            for (int i = closeables.size() - 1; i >= 0; i--) {
                closeables.get(i).close();
            }
            pool.shutdownNow();
        }
    }

    private static void closeDroppers(List<FederatedClient> clients, Set<String> droppers) {
        for (FederatedClient client : clients) {
            if (droppers.contains(client.clientId())) {
                CompletableFuture.runAsync(client::close);
            }
        }
    }

    private static double maxDifference(GlobalModel a, GlobalModel b) {
        float[] x = a.parameters();
        float[] y = b.parameters();
        assertEquals(x.length, y.length);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
        return worst;
    }

    @Test
    void aSecureRoundPublishesThePlainFedAvgModel() throws Exception {
        Run plain = federate(false, CLIENTS, Set.of());
        Run secure = federate(true, CLIENTS, Set.of());
        assertTrue(secure.record().succeeded());
        assertEquals(CLIENTS, secure.record().clients());
        assertEquals(1, secure.model().version());
        // 10 clients of ~270 examples: the fixed-point bound is ~1e-9; float rounding of the new
        // parameters (|w| < 1) adds up to 6e-8
        double diff = maxDifference(plain.model(), secure.model());
        assertTrue(diff < 2e-7, "secure and plain models differ by " + diff);
        assertTrue(secure.record().secAggClientSeconds() > 0, "clients report their secure-aggregation work");
        assertTrue(secure.record().secAggCoordinatorSeconds() > 0);
        assertFalse(Double.isNaN(secure.record().secAggClientSeconds()));
        assertTrue(Double.isNaN(plain.record().secAggClientSeconds()));
    }

    @Test
    void twoOfTenClientsDroppingAfterCommittingStillGiveTheExactModel() throws Exception {
        assertDroppingClientsAreRecovered(CLIENTS, Set.of("client-03", "client-08"));
    }

    @Test
    void twentyOfAHundredClientsDroppingAfterCommittingStillGiveTheExactModel() throws Exception {
        Set<String> droppers = new java.util.TreeSet<>();
        for (int i = 0; i < 100; i += 5) {
            droppers.add(String.format("client-%02d", i));
        }
        assertDroppingClientsAreRecovered(100, droppers);
    }

    /** A secure round whose droppers committed first publishes the model plain FedAvg makes without them. */
    private static void assertDroppingClientsAreRecovered(int n, Set<String> droppers) throws Exception {
        Run plain = federate(false, n, droppers);
        Run secure = federate(true, n, droppers);
        assertTrue(secure.record().succeeded(), "the round completes without the droppers");
        assertEquals(n - droppers.size(), secure.record().clients());
        assertEquals(droppers.size(), secure.record().failures());
        assertEquals(n - droppers.size(), plain.record().clients());
        double diff = maxDifference(plain.model(), secure.model());
        assertTrue(diff < 2e-7, "secure and plain models differ by " + diff);
    }

    @Test
    void tooManyDropoutsAbortTheRoundAndKeepTheModel() throws Exception {
        // 5 clients: a complete graph of degree 4 and threshold 3; 3 dropping leave 2 survivors
        Run secure = federate(true, 5, Set.of("client-00", "client-02", "client-04"));
        assertFalse(secure.record().succeeded());
        assertEquals(0, secure.model().version(), "the model stays at its initial version");
        assertEquals(0, secure.record().clients());
    }
}
