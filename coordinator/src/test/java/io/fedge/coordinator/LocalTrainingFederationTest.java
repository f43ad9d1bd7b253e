package io.fedge.coordinator;

import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Scaffold;
import io.fedge.aggregation.Strategies;
import io.fedge.aggregation.Strategy;
import io.fedge.client.FederatedClient;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Hello;
import io.fedge.core.LocalTraining;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real coordinator and real clients over loopback TCP training Fashion-MNIST with client-side
 * corrections: SCAFFOLD (the control variate goes down after the model, under the task's signature,
 * and [dy ; dc] comes up) and FedProx with local momentum. A client whose Hello announces none of the local-training features
 * (as clients built before them do) stays connected through the federation and is never sent a
 * task.
 */
class LocalTrainingFederationTest {
    private static LabeledImages train;
    private static DataSet testSet;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<FederatedClient> clients = new ArrayList<>();
    /** When set, the coordinator signs every task and the clients pin its key. */
    private KeyPair signing;

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(3000);
        testSet = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(1000).toDataSet();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** Three clients that can follow the corrections, and an old one: no round starts before all four are there. */
    private static Sampling sampling() {
        return Sampling.builder().fractionFit(1.0).minFitClients(3).minAvailableClients(4)
                .instructions(new FitInstructions(2, 32, 0.05, "fp32")).buildSampling();
    }

    private Coordinator coordinator(Strategy strategy) throws Exception {
        Coordinator.Builder b = Coordinator.builder()
                .bind(new java.net.InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(strategy)
                .rounds(3)
                .roundTimeout(Duration.ofMinutes(3))
                .idleTimeout(Duration.ofMinutes(10)) // the old client below sends no heartbeats
                .evaluator(new TestSetEvaluator(testSet, 500))
                .seed(5);
        if (signing != null) {
            b.modelSigningKey(signing.getPrivate());
        }
        Coordinator c = b.build();
        closeables.add(c);
        return c.start();
    }

    private FederatedClient client(Coordinator c, int index) {
        int per = train.size() / 3;
        int[] idx = new int[per];
        for (int i = 0; i < per; i++) {
            idx[i] = index * per + i;
        }
        FederatedClient.Builder b = FederatedClient.builder()
                .coordinator(c.localAddress())
                .clientId("client-" + index)
                .data(train.toDataSet(idx))
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .seed(index);
        if (signing != null) {
            b.trustedModelKey(signing.getPublic()); // checks the signature over local_training and c's digest
        }
        FederatedClient client = b.build();
        closeables.add(client);
        clients.add(client);
        return client.start();
    }

    /**
     * A client of before the local-training features: its Hello announces codecs and examples and
     * no feature. It records every message the coordinator sends it until the connection ends.
     */
    private static final class OldClient implements AutoCloseable {
        final List<Envelope.BodyCase> received = new CopyOnWriteArrayList<>();
        private final Socket socket;
        private final Thread reader;

        OldClient(Coordinator c) throws IOException {
            socket = new Socket();
            socket.connect(c.localAddress(), 5_000);
            Envelope hello = Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                    .setClientId("old-client").addCodecs("fp32").setNumExamples(1000)).build();
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            byte[] body = hello.toByteArray();
            out.writeInt(body.length);
            out.write(body);
            out.flush();
            reader = new Thread(this::read, "old-client-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                while (true) {
                    byte[] frame = new byte[in.readInt()];
                    in.readFully(frame);
                    received.add(Envelope.parseFrom(frame).getBodyCase());
                }
            } catch (EOFException e) {
                // the coordinator closed the connection
            } catch (IOException e) {
                received.add(Envelope.BodyCase.BODY_NOT_SET);
            }
        }

        /** Waits for the coordinator to end the connection; what it sent. */
        List<Envelope.BodyCase> untilClosed() throws InterruptedException {
            reader.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(reader.isAlive(), "the coordinator closed the old client's connection");
            return List.copyOf(received);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Runs three rounds of {@code strategy} with three current clients and an old one; returns the history. */
    private List<RoundRecord> federate(Coordinator c, OldClient old) throws Exception {
        for (int i = 0; i < 3; i++) {
            client(c, i);
        }
        assertTrue(c.awaitRounds(8, TimeUnit.MINUTES), "rounds did not finish");
        List<RoundRecord> rounds = c.history().rounds();
        assertEquals(3, rounds.size());
        for (RoundRecord r : rounds) {
            assertTrue(r.succeeded(), "round " + r.round() + " failed: " + r.outcome());
            assertEquals(3, r.selected(), "the three clients with the features, not the old one");
            assertEquals(3, r.clients());
            assertEquals(0, r.failures(), r.notCounted().toString());
        }
        assertEquals(3, c.globalModel().version());
        c.close();
        List<Envelope.BodyCase> seen = old.untilClosed();
        assertTrue(seen.contains(Envelope.BodyCase.WELCOME), "the old client was registered: " + seen);
        assertFalse(seen.contains(Envelope.BodyCase.TRAIN_TASK), "and never sent a task: " + seen);
        assertTrue(seen.contains(Envelope.BodyCase.BYE), "it heard the federation end: " + seen);
        return rounds;
    }

    private static void assertLearns(List<RoundRecord> rounds, double threshold) {
        double first = rounds.get(0).testAccuracy();
        double last = rounds.get(2).testAccuracy();
        assertTrue(last > first, "accuracy should rise: " + first + " -> " + last);
        assertTrue(last > threshold, "final accuracy " + last + ", expected above " + threshold);
    }

    @Test
    void threeRoundsOfScaffold() throws Exception {
        signing = ModelSigner.newKeyPair();
        Scaffold strategy = (Scaffold) Strategies.create("scaffold", sampling());
        Coordinator c = coordinator(strategy);
        OldClient old = new OldClient(c);
        closeables.add(old);
        int p = c.globalModel().parameterCount();
        List<RoundRecord> rounds = federate(c, old);
        for (RoundRecord r : rounds) {
            // each client sent [dy ; dc] (2P fp32 values) and received the model and c (P each)
            assertTrue(r.bytesUp() > 3 * 2 * 4L * p, "three updates of 2P floats went up: " + r.bytesUp());
            assertTrue(r.bytesDown() > 3 * 2 * 4L * p, "three models and control variates went down: " + r.bytesDown());
        }
        // measured: 0.528, 0.564, 0.645 (FedAvg on the same split: the same first round, as c = c_i = 0, and 0.645)
        assertLearns(rounds, 0.60);
        // every client keeps the c_i of its last accepted update; the server's c moved off zero
        for (FederatedClient client : clients) {
            float[] ci = client.scaffoldControlVariate();
            assertNotNull(ci, client.clientId() + " committed its control variate");
            assertEquals(p, ci.length);
        }
        double norm = 0;
        for (float v : strategy.controlVariate()) {
            norm += (double) v * v;
        }
        assertTrue(norm > 0, "the server's control variate moved");
    }

    @Test
    void threeRoundsOfFedProxWithLocalMomentum() throws Exception {
        Strategy strategy = Strategies.create("fedprox:mu=0.01,momentum=0.9", sampling());
        LocalTraining local = ((io.fedge.aggregation.SampledStrategy) strategy).instructions().local();
        assertEquals(0.01, local.proximalMu());
        assertEquals(0.9, local.momentum());
        Coordinator c = coordinator(strategy);
        OldClient old = new OldClient(c);
        closeables.add(old);
        // measured: 0.686, 0.745, 0.771 (momentum 0.9 takes ten times the plain step)
        assertLearns(federate(c, old), 0.72);
    }

    @Test
    void scaffoldWithALossyCodecIsRefusedWhenTheCoordinatorIsBuilt() {
        Strategy lossy = Strategies.create("scaffold", Sampling.builder().minFitClients(1)
                .instructions(new FitInstructions(1, 32, 0.05, "int8")).buildSampling());
        GlobalModel model = Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Coordinator.builder()
                .bind(new java.net.InetSocketAddress("127.0.0.1", 0)).initialModel(model).strategy(lossy).rounds(1)
                .build());
        assertTrue(e.getMessage().contains("'int8' is lossy"), e.getMessage());
        // fp32+zstd is exact
        Strategy zstd = Strategies.create("scaffold", Sampling.builder().minFitClients(1)
                .instructions(new FitInstructions(1, 32, 0.05, "fp32+zstd")).buildSampling());
        Coordinator.builder().bind(new java.net.InetSocketAddress("127.0.0.1", 0)).initialModel(model).strategy(zstd)
                .rounds(1).build().close();
    }
}
