package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real coordinator and real clients over loopback TCP, training on Fashion-MNIST.
 */
class FederationIntegrationTest {
    private static LabeledImages train;
    private static DataSet testSet;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(6000);
        testSet = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(2000).toDataSet();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Coordinator coordinator(int rounds, int minFit, int minAvailable, Duration roundTimeout) throws Exception {
        Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(minFit).minAvailableClients(minAvailable)
                        .instructions(new FitInstructions(2, 32, 0.05, "fp32")).build())
                .rounds(rounds)
                .roundTimeout(roundTimeout)
                .evaluator(new TestSetEvaluator(testSet, 500))
                .seed(3)
                .build();
        closeables.add(c);
        return c.start();
    }

    private FederatedClient client(Coordinator c, int index, int of) {
        return client(c, index, of, null);
    }

    private FederatedClient client(Coordinator c, int index, int of, Executor trainingExecutor) {
        int per = train.size() / of;
        int[] idx = new int[per];
        for (int i = 0; i < per; i++) {
            idx[i] = index * per + i;
        }
        FederatedClient.Builder builder = FederatedClient.builder()
                .coordinator(c.localAddress())
                .clientId("client-" + index)
                .data(train.toDataSet(idx))
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .seed(index);
        if (trainingExecutor != null) {
            builder.trainingExecutor(trainingExecutor);
        }
        FederatedClient client = builder.build();
        closeables.add(client);
        return client.start();
    }

    @Test
    void threeClientsThreeRoundsImproveTheModel() throws Exception {
        Coordinator c = coordinator(3, 3, 3, Duration.ofMinutes(3));
        for (int i = 0; i < 3; i++) {
            client(c, i, 3);
        }
        assertTrue(c.awaitRounds(5, TimeUnit.MINUTES), "rounds did not finish");
        List<RoundRecord> rounds = c.history().rounds();
        assertEquals(3, rounds.size());
        for (RoundRecord r : rounds) {
            assertTrue(r.succeeded(), "round " + r.round() + " failed");
            assertEquals(3, r.clients());
            assertTrue(r.bytesUp() > 3 * 4L * c.globalModel().parameterCount(), "three fp32 updates went up");
            assertTrue(r.bytesDown() > 3 * 4L * c.globalModel().parameterCount(), "three models went down");
        }
        assertEquals(3, c.globalModel().version());
        double first = rounds.get(0).testAccuracy();
        double last = rounds.get(2).testAccuracy();
        assertTrue(last > first, "accuracy should rise: " + first + " -> " + last);
        assertTrue(last > 0.70, "final accuracy " + last);
    }

    @Test
    void aClientDroppingMidRoundDoesNotStallTheRun() throws Exception {
        Coordinator c = coordinator(3, 2, 3, Duration.ofMinutes(5));
        client(c, 0, 3);
        client(c, 1, 3);
        AtomicReference<FederatedClient> flaky = new AtomicReference<>();
        AtomicBoolean dropped = new AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        closeables.add(pool::shutdownNow);
        // The first task this client receives finds its connection cut, as a network failure would.
        Executor dropOnFirstTask = task -> {
            if (dropped.compareAndSet(false, true)) {
                flaky.get().dropConnection();
            }
            pool.execute(task);
        };
        flaky.set(client(c, 2, 3, dropOnFirstTask));

        assertTrue(c.awaitRounds(5, TimeUnit.MINUTES), "rounds did not finish");
        List<RoundRecord> rounds = c.history().rounds();
        assertEquals(3, rounds.size());
        RoundRecord first = rounds.get(0);
        assertTrue(first.succeeded());
        assertEquals(2, first.clients(), "the two healthy clients were aggregated");
        assertEquals(1, first.failures(), "the dropped client counts as a failure");
        assertTrue(first.roundSeconds() < 60, "the round must not wait for the 5-minute deadline: "
                + first.roundSeconds() + " s");
        assertTrue(flaky.get().connectionCount() >= 2, "the client reconnected");
        assertTrue(flaky.get().updatesSent() >= 1, "the reconnected client trained in a later round");
        assertEquals(3, c.globalModel().version());
    }
}
