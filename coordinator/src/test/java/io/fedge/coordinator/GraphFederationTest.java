package io.fedge.coordinator;

import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategies;
import io.fedge.aggregation.Strategy;
import io.fedge.client.FederatedClient;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelSource;
import io.fedge.core.model.Network;
import io.fedge.core.model.ParameterSpans;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real coordinator and three real clients over loopback TCP federating the residual
 * ComputationGraph with BatchNorm ({@code resnet}) on 180 Fashion-MNIST examples, with
 * local momentum and FedBN: the clients keep their BatchNorm parameters, so the global model's stay
 * exactly as they started, while every other parameter moves and the server evaluates the graph.
 */
class GraphFederationTest {
    private static LabeledImages train;
    private static DataSet testSet;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(180);
        testSet = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(100).toDataSet();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void twoRoundsOfTheResidualGraphUnderFedBnKeepBatchNormOnTheClients() throws Exception {
        GlobalModel initial = ModelSource.named("resnet").initialModel(InputShape.FASHION_MNIST, 10, 3, 0.05);
        Network net = Dl4jModels.network(initial);
        assertEquals(Network.Kind.GRAPH, net.kind());
        ParameterSpans bn = net.batchNormParameters();
        Strategy strategy = Strategies.create("fedavg:bn=local,momentum=0.9", Sampling.builder().fractionFit(1.0)
                .minFitClients(3).minAvailableClients(3).instructions(new FitInstructions(1, 32, 0.05, "fp32"))
                .buildSampling());
        Coordinator c = Coordinator.builder()
                .bind(new java.net.InetSocketAddress("127.0.0.1", 0))
                .initialModel(initial)
                .strategy(strategy)
                .rounds(2)
                .roundTimeout(Duration.ofMinutes(3))
                .evaluator(new TestSetEvaluator(testSet, 100, 1))
                .seed(5)
                .build();
        closeables.add(c);
        c.start();
        List<FederatedClient> clients = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            int[] idx = new int[60];
            for (int i = 0; i < 60; i++) {
                idx[i] = k * 60 + i;
            }
            FederatedClient client = FederatedClient.builder().coordinator(c.localAddress()).clientId("client-" + k)
                    .data(train.toDataSet(idx)).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .seed(k).build();
            closeables.add(client);
            clients.add(client);
            client.start();
        }
        assertTrue(c.awaitRounds(5, TimeUnit.MINUTES), "rounds did not finish");
        for (RoundRecord r : c.history().rounds()) {
            assertTrue(r.succeeded(), "round " + r.round() + ": " + r.outcome());
            assertEquals(3, r.clients());
            assertTrue(r.testAccuracy() >= 0 && r.testAccuracy() <= 1, "the server evaluated the graph");
        }
        GlobalModel last = c.globalModel();
        assertEquals(2, last.version());
        float[] before = initial.parameters();
        float[] after = last.parameters();
        assertArrayEquals(bn.gather(before), bn.gather(after), 0f, "no client sent anything of its BatchNorm");
        int moved = 0;
        for (int i = 0; i < after.length; i++) {
            if (!bn.contains(i) && after[i] != before[i]) {
                moved++;
            }
        }
        assertTrue(moved > (after.length - bn.count()) / 2, "the shared layers trained: " + moved + " moved");
        List<float[]> kept = new ArrayList<>();
        for (FederatedClient client : clients) {
            float[] own = client.keptBatchNormParameters();
            assertNotNull(own, client.clientId() + " keeps its BatchNorm");
            assertEquals(bn.count(), own.length);
            assertFalse(Arrays.equals(bn.gather(before), own), client.clientId() + " trained its BatchNorm");
            kept.add(own);
        }
        assertFalse(Arrays.equals(kept.get(0), kept.get(1)), "each client's own statistics");
    }
}
