package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.Transport;
import io.fedge.comm.Transports;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import io.netty.handler.ssl.SslProvider;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A federation round on the class path of a device without Netty's natives: Surefire's
 * {@code without-native-netty} execution (coordinator's pom) runs this class with
 * {@code netty-transport-classes-epoll}, {@code netty-transport-native-epoll},
 * {@code netty-tcnative-boringssl-static} and {@code netty-tcnative-classes} removed from the class
 * path the coordinator and the clients share. Both sides pick NIO and the JDK's TLS engine by
 * themselves; the clients train, send their updates over mutual TLS and have them accepted.
 */
class WithoutNativeNettyFederationTest {
    @TempDir
    Path certs;

    @BeforeAll
    static void onlyInTheExecutionWithoutTheJars() {
        assumeTrue(Boolean.getBoolean("fedge.test.withoutNativeNetty"),
                "runs in coordinator's without-native-netty Surefire execution only");
    }

    @Test
    void theNativeClassesAreAbsentAndTheProcessChoseNioAndTheJdkEngine() {
        ClassLoader loader = getClass().getClassLoader();
        for (String name : List.of("io.netty.channel.epoll.Epoll", "io.netty.internal.tcnative.SSL")) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name, false, loader), name);
        }
        assertSame(Transport.NIO, Transports.selected());
        assertSame(SslProvider.JDK, TlsContexts.provider());
    }

    @Test
    void clientsTrainARoundOverMutualTlsWithoutTheNativeJars() throws Exception {
        CertificateDirectory dir = new CertificateDirectory(certs);
        CertificateAuthority ca = dir.createAuthority("fleet-ca", Duration.ofDays(1), Clock.systemUTC());
        dir.issueServer(ca, List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(400);
        GlobalModel initial = Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05));
        List<FederatedClient> clients = new ArrayList<>();
        try (Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(initial)
                .strategy(FedAvg.builder().minFitClients(2).minAvailableClients(2)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(1)
                .roundTimeout(Duration.ofMinutes(2))
                .tls(TlsContexts.server(dir, TlsContexts.provider()))
                .build()) {
            c.start();
            for (int i = 0; i < 2; i++) {
                String id = "device-" + i;
                dir.issueClient(ca, id, Duration.ofDays(1));
                int[] idx = new int[200];
                for (int j = 0; j < idx.length; j++) {
                    idx[j] = i * 200 + j;
                }
                FederatedClient client = FederatedClient.builder()
                        .coordinator(c.localAddress())
                        .clientId(id)
                        .tls(TlsContexts.client(dir, id, TlsContexts.provider()))
                        .data(train.toDataSet(idx))
                        .seed(i)
                        .build();
                clients.add(client);
                client.start();
            }
            assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the round did not finish");
            RoundRecord round = c.history().rounds().get(0);
            assertTrue(round.succeeded(), round.outcome());
            assertEquals(2, round.clients());
            assertEquals(initial.version() + 1, c.globalModel().version());
            float[] before = initial.parameters();
            float[] after = c.globalModel().parameters();
            assertEquals(before.length, after.length);
            boolean moved = false;
            for (int i = 0; i < before.length && !moved; i++) {
                moved = before[i] != after[i];
            }
            assertTrue(moved, "the accepted updates moved the model");
            for (FederatedClient client : clients) {
                Awaitility.await("UpdateAccepted reaches the client").atMost(Duration.ofSeconds(30))
                        .until(() -> client.updatesAccepted() == 1);
                assertEquals(1, client.updatesSent());
            }
        } finally {
            for (FederatedClient client : clients) {
                client.close();
            }
        }
    }
}
