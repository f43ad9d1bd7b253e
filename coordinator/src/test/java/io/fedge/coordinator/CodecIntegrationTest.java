package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.compression.CodecRegistry;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Update codecs and model precision over real sockets, with real training. */
class CodecIntegrationTest {
    private static LabeledImages train;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(1500);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Coordinator coordinator(String codec, int minFit, int minAvailable, boolean halfModels) throws Exception {
        return coordinator(codec, minFit, minAvailable, halfModels, 0, 2);
    }

    private Coordinator coordinator(String codec, int minFit, int minAvailable, boolean halfModels, int deltas,
                                    int rounds) throws Exception {
        Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(minFit).minAvailableClients(minAvailable)
                        .instructions(new FitInstructions(1, 32, 0.05, codec)).build())
                .rounds(rounds)
                .roundTimeout(Duration.ofMinutes(2))
                .halfPrecisionModels(halfModels)
                .deltaModels(deltas)
                .seed(5)
                .build();
        closeables.add(c);
        return c.start();
    }

    private FederatedClient client(Coordinator c, int index, CodecRegistry codecs) {
        int[] idx = new int[500];
        for (int j = 0; j < idx.length; j++) {
            idx[j] = index * 500 + j;
        }
        FederatedClient client = FederatedClient.builder()
                .coordinator(c.localAddress())
                .clientId("client-" + index)
                .data(train.toDataSet(idx))
                .codecs(codecs)
                .seed(index)
                .build();
        closeables.add(client);
        return client.start();
    }

    private static List<RoundRecord> run(Coordinator c) throws InterruptedException {
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "rounds did not finish");
        List<RoundRecord> rounds = c.history().rounds();
        for (RoundRecord r : rounds) {
            assertTrue(r.succeeded(), "round " + r.round());
        }
        return rounds;
    }

    @Test
    void topKWithInt8SendsAFiftiethOfTheBytesAndCarriesTheResidual() throws Exception {
        Coordinator plain = coordinator("fp32", 3, 3, false);
        for (int i = 0; i < 3; i++) {
            client(plain, i, CodecRegistry.defaultRegistry());
        }
        long fp32Up = run(plain).get(0).bytesUp();

        Coordinator sparse = coordinator("topk:0.01+int8", 3, 3, false);
        List<FederatedClient> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(client(sparse, i, CodecRegistry.defaultRegistry()));
        }
        List<RoundRecord> rounds = run(sparse);
        double ratio = (double) fp32Up / rounds.get(0).bytesUp();
        assertTrue(ratio > 30, "fp32 sent " + fp32Up + " bytes, topk:0.01+int8 " + rounds.get(0).bytesUp());
        GlobalModel before = Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05));
        int changed = 0;
        for (int i = 0; i < before.parameterCount(); i++) {
            changed += before.parameter(i) != sparse.globalModel().parameter(i) ? 1 : 0;
        }
        // two rounds of three clients' top 1% touch at most 6% of the parameters
        assertTrue(changed > 0 && changed <= 0.06 * before.parameterCount() + 6, changed + " parameters changed");
        for (FederatedClient client : clients) {
            assertNotNull(client.errorFeedbackResidual(), client.clientId() + " carries what it did not send");
        }
    }

    @Test
    void aClientThatCannotEncodeTheCodecIsNotSelected() throws Exception {
        Coordinator c = coordinator("int8+zstd", 2, 3, false);
        FederatedClient a = client(c, 0, CodecRegistry.defaultRegistry());
        FederatedClient b = client(c, 1, CodecRegistry.defaultRegistry());
        FederatedClient noZstd = client(c, 2, CodecRegistry.defaultRegistry().only(List.of("fp32", "int8")));
        for (RoundRecord r : run(c)) {
            assertEquals(2, r.selected(), "only the two clients with zstd are selected");
            assertEquals(2, r.clients());
        }
        assertEquals(0, noZstd.updatesSent());
        assertEquals(4, a.updatesSent() + b.updatesSent(), "each capable client trained both rounds");
        assertNull(a.errorFeedbackResidual(), "int8 needs no error feedback");
    }

    @Test
    void halfPrecisionModelsHalveTheDownload() throws Exception {
        Coordinator full = coordinator("fp32", 2, 2, false);
        client(full, 0, CodecRegistry.defaultRegistry());
        client(full, 1, CodecRegistry.defaultRegistry());
        long fullDown = run(full).get(0).bytesDown();
        Coordinator half = coordinator("fp32", 2, 2, true);
        client(half, 0, CodecRegistry.defaultRegistry());
        client(half, 1, CodecRegistry.defaultRegistry());
        long halfDown = run(half).get(0).bytesDown();
        double ratio = (double) fullDown / halfDown;
        assertTrue(ratio > 1.9 && ratio < 2.05, "fp32 models " + fullDown + " bytes, fp16 " + halfDown);
    }

    @Test
    void deltaDownloadsGiveTheSameModelsForFewerBytes() throws Exception {
        Coordinator full = coordinator("fp32", 2, 2, false, 0, 3);
        client(full, 0, CodecRegistry.defaultRegistry());
        client(full, 1, CodecRegistry.defaultRegistry());
        List<RoundRecord> fullRounds = run(full);
        Coordinator delta = coordinator("fp32", 2, 2, false, 4, 3);
        client(delta, 0, CodecRegistry.defaultRegistry());
        client(delta, 1, CodecRegistry.defaultRegistry());
        List<RoundRecord> deltaRounds = run(delta);
        assertEquals(fullRounds.get(0).bytesDown(), deltaRounds.get(0).bytesDown(), 2_000.0,
                "round 1: nobody holds a model yet, everything goes in full");
        for (int r = 1; r < 3; r++) {
            assertTrue(deltaRounds.get(r).bytesDown() < 0.8 * fullRounds.get(r).bytesDown(), "round " + (r + 1) + ": "
                    + deltaRounds.get(r).bytesDown() + " bytes down with deltas, " + fullRounds.get(r).bytesDown() + " without");
        }
        // lossless: the federation is the same, bit for bit
        GlobalModel a = full.globalModel();
        GlobalModel b = delta.globalModel();
        for (int i = 0; i < a.parameterCount(); i++) {
            assertEquals(Float.floatToIntBits(a.parameter(i)), Float.floatToIntBits(b.parameter(i)), "parameter " + i);
        }
    }

    @Test
    void impossibleCombinationsAreRefusedWhenTheCoordinatorIsBuilt() {
        IllegalStateException sparse = assertThrows(IllegalStateException.class, () -> Coordinator.builder()
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(3)
                        .instructions(new FitInstructions(1, 32, 0.05, "topk:0.01+int8")).build())
                .secureAggregation(SecureAggregation.defaults())
                .build());
        assertTrue(sparse.getMessage().contains("secure aggregation"), sparse.getMessage());
        IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> Coordinator.builder()
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().instructions(new FitInstructions(1, 32, 0.05, "int3")).build())
                .build());
        assertTrue(unknown.getMessage().contains("int3"), unknown.getMessage());
    }
}
