package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.SecAggKeys;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import io.fedge.coordinator.PipelineTestKit.Announcement;
import io.fedge.coordinator.PipelineTestKit.Upload;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;

import static io.fedge.coordinator.PipelineTestKit.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real coordinator with mutual TLS on loopback, two honest clients training one round with
 * DL4J, and, while that round is open (held after the first honest update is folded), an
 * attacker: {@value #TLS_CONNECTIONS} connections authenticated with a certificate of the
 * federation's CA, each registering and then sending up to {@value #FRAMES_PER_CONNECTION} frames
 * (results, chunks, evaluations, secure-aggregation keys, heartbeats, errors) half of them damaged
 * at the byte level ({@link PipelineTestKit#mutate}), reconnecting whenever it is cut off;
 * {@value #RAW_CONNECTIONS} plain-TCP connections of random bytes (some under a TLS record
 * header); {@value #TRUNCATED_HANDSHAKES} handshakes cut short (a prefix of a real ClientHello, or
 * all of it and then silence). The coordinator stays up, the honest clients keep their one
 * connection each, and the round publishes, bit for bit, the model the same federation publishes
 * without the attacker (who is never selected: refused entirely). About 8 s.
 */
class TlsFuzzTest {
    private static final int TLS_CONNECTIONS = 80;
    private static final int FRAMES_PER_CONNECTION = 30;
    private static final int RAW_CONNECTIONS = 50;
    private static final int TRUNCATED_HANDSHAKES = 50;
    private static LabeledImages train;
    @TempDir
    Path certs;
    private CertificateDirectory dir;
    private CertificateAuthority ca;
    private final Random rng = new Random(20261130L);

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(600);
    }

    @BeforeEach
    void issueCertificates() throws Exception {
        dir = new CertificateDirectory(certs);
        ca = dir.createAuthority("test-ca", Duration.ofDays(30), Clock.systemUTC());
        dir.issueServer(ca, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        for (String id : List.of("client-0", "client-1", "attacker")) {
            dir.issueClient(ca, id, Duration.ofDays(30));
        }
    }

    /** One federation of one round; with {@code attack}, the attack runs while the round is held open. */
    private GlobalModel federate(boolean attack) throws Exception {
        SslProvider provider = TlsContexts.provider();
        CountDownLatch attackDone = new CountDownLatch(attack ? 1 : 0);
        CountDownLatch roundOpen = new CountDownLatch(1);
        AtomicBoolean held = new AtomicBoolean();
        RoundListener holdOpen = new RoundListener() {
            @Override
            public void clientFinished(long round, String clientId, boolean accepted) {
                // on the aggregation thread, after the first honest fold: the round stays open until the attack is over
                if (accepted && held.compareAndSet(false, true)) {
                    roundOpen.countDown();
                    try {
                        assertTrue(attackDone.await(2, TimeUnit.MINUTES), "the attack ended");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        List<AutoCloseable> closeables = new ArrayList<>();
        try {
            Coordinator c = Coordinator.builder()
                    .bind(new InetSocketAddress("127.0.0.1", 0))
                    .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                    .strategy(FedAvg.builder().minFitClients(2).minAvailableClients(2)
                            .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                    .rounds(1)
                    .roundTimeout(Duration.ofMinutes(3))
                    .tls(TlsContexts.server(dir, provider))
                    .addListener(holdOpen)
                    .seed(3)
                    .build();
            closeables.add(c);
            c.start();
            List<FederatedClient> honest = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int[] idx = new int[300];
                for (int j = 0; j < idx.length; j++) {
                    idx[j] = i * 300 + j;
                }
                String id = "client-" + i;
                FederatedClient client = FederatedClient.builder()
                        .coordinator(c.localAddress())
                        .clientId(id)
                        .tls(TlsContexts.client(dir, id, provider))
                        .data(train.toDataSet(idx))
                        .seed(i)
                        .build();
                honest.add(client);
                closeables.add(client);
                client.start();
            }
            if (attack) {
                assertTrue(roundOpen.await(2, TimeUnit.MINUTES), "the round opened");
                attack(c);
                assertTrue(c.connectedClients() >= 2, "the honest clients are still registered");
                attackDone.countDown();
            }
            assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the round finished");
            RoundRecord r = c.history().rounds().get(0);
            assertTrue(r.succeeded(), r.toString());
            assertEquals(2, r.clients());
            for (FederatedClient client : honest) {
                assertEquals(1, client.connectionCount(), client.clientId() + " kept its one connection");
            }
            return c.globalModel();
        } finally {
            for (int i = closeables.size() - 1; i >= 0; i--) {
                closeables.get(i).close();
            }
        }
    }

    private void attack(Coordinator c) throws Exception {
        InetSocketAddress at = c.localAddress();
        SSLContext attacker = TlsTestSockets.context(Credentials.load(dir.clientCertificate("attacker"),
                dir.clientKey("attacker")), ca.certificate());
        int frames = 0;
        int cutOff = 0;
        for (int k = 0; k < TLS_CONNECTIONS; k++) {
            try (SSLSocket s = TlsTestSockets.connect(attacker, at)) {
                assertEquals(Envelope.BodyCase.WELCOME, TlsTestSockets.hello(s, "attacker").getBodyCase(),
                        "an authenticated attacker registers");
                OutputStream out = s.getOutputStream();
                for (byte[] f : script()) {
                    out.write(rng.nextBoolean() ? f : PipelineTestKit.mutate(f, rng, WireProtocol.DEFAULT_MAX_FRAME_BYTES));
                    out.flush();
                    frames++;
                }
            } catch (IOException e) {
                cutOff++; // the coordinator hung up on a damaged frame
            }
        }
        assertTrue(frames > TLS_CONNECTIONS * 5, frames + " frames inside TLS, " + cutOff + " connections cut off");
        for (int k = 0; k < RAW_CONNECTIONS; k++) {
            byte[] garbage = new byte[1 + rng.nextInt(5000)];
            rng.nextBytes(garbage);
            if (rng.nextBoolean()) { // a TLS handshake record header over noise
                garbage = ByteBuffer.allocate(5 + garbage.length).put(new byte[] {0x16, 0x03, 0x01})
                        .putShort((short) rng.nextInt(1 << 15)).put(garbage).array();
            }
            rawSend(at, garbage);
        }
        byte[] clientHello = clientHello(attacker, at);
        for (int k = 0; k < TRUNCATED_HANDSHAKES; k++) {
            rawSend(at, rng.nextInt(4) == 0 ? clientHello : Arrays.copyOf(clientHello, 1 + rng.nextInt(clientHello.length - 1)));
        }
    }

    /** What a client registered as the attacker sends: an update for the open round, chatter, secure-aggregation keys. */
    private List<byte[]> script() {
        List<byte[]> out = new ArrayList<>();
        Upload u = PipelineTestKit.upload(Announcement.fp32(1, 0, 1 + rng.nextInt(1000), 10),
                PipelineTestKit.gaussian(rng, 64, 1), 16, null);
        out.add(frame(u.announce()));
        u.chunks().forEach(ch -> out.add(frame(ch)));
        out.add(frame(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setUnixMs(1)).build()));
        out.add(frame(Envelope.newBuilder().setEvaluateResult(EvaluateResult.newBuilder().setRound(1)
                .setNumExamples(10)).build()));
        out.add(frame(Envelope.newBuilder().setSecaggKeys(SecAggKeys.newBuilder().setRound(1)).build()));
        out.add(frame(Envelope.newBuilder().setError(io.fedge.comm.proto.Error.newBuilder().setRound(1)).build()));
        while (out.size() < FRAMES_PER_CONNECTION) {
            out.add(out.get(rng.nextInt(out.size())));
        }
        return out;
    }

    /** Connects over plain TCP, sends {@code bytes}, and closes. */
    private static void rawSend(InetSocketAddress at, byte[] bytes) {
        try (Socket s = new Socket()) {
            s.connect(at, 5_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
        } catch (IOException e) {
            // the coordinator may hang up first; either way it must not care
        }
    }

    /** The first flight of a real TLS 1.3 client handshake with the attacker's context. */
    private static byte[] clientHello(SSLContext tls, InetSocketAddress at) throws Exception {
        SSLEngine engine = tls.createSSLEngine("localhost", at.getPort());
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = new byte[out.remaining()];
        out.get(hello);
        return hello;
    }

    @Test
    void anAuthenticatedAttackerAndGarbageConnectionsLeaveTheRoundsModelBitForBit() throws Exception {
        GlobalModel without = federate(false);
        GlobalModel with = federate(true);
        assertEquals(1, with.version());
        assertArrayEquals(without.parameters(), with.parameters(), 0f,
                "the model is the one the honest clients alone produce");
    }
}
