package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.Hello;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import io.netty.channel.Channel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The coordinator's per-connection protections on real loopback sockets, against raw clients that
 * speak the wire protocol by hand: backpressure and slow readers, the outbound cap, the connection
 * cap and the inbound byte rate.
 */
class ConnectionProtectionTest {
    private static GlobalModel model;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void makeModel() {
        model = Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** A coordinator on loopback whose round needs {@code clients} clients. */
    private Coordinator coordinator(int clients, UnaryOperator<Coordinator.Builder> options) throws Exception {
        Coordinator c = options.apply(Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(model)
                .strategy(FedAvg.builder().minFitClients(clients).minAvailableClients(clients)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(1)
                .roundTimeout(Duration.ofMinutes(5))
                .idleTimeout(Duration.ofMinutes(10))
                .sealUpdates(false))
                .build();
        closeables.add(c);
        return c.start();
    }

    /** A client socket with a small receive window, so that what it does not read piles up on the coordinator. */
    private Socket connect(Coordinator c) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(c.localAddress(), 5_000);
        s.setSoTimeout(10_000);
        closeables.add(s);
        return s;
    }

    private static byte[] frame(Envelope e) {
        byte[] body = e.toByteArray();
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    private static void send(Socket s, Envelope e) throws IOException {
        s.getOutputStream().write(frame(e));
        s.getOutputStream().flush();
    }

    private static Envelope read(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] body = new byte[in.readInt()];
        in.readFully(body);
        return Envelope.parseFrom(body);
    }

    private static Envelope hello(String id) {
        return Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                .setClientId(id).addCodecs("fp32").setNumExamples(10)).build();
    }

    private static final Envelope HEARTBEAT = Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()).build();

    /** Registers without reading the Welcome, then waits until the coordinator has the session. */
    private static void register(Coordinator c, Socket s, String id, int expectedClients) throws IOException {
        send(s, hello(id));
        await().atMost(Duration.ofSeconds(10)).until(() -> c.connectedClients() == expectedClients);
    }

    /** The coordinator's end of the only open connection, and its backpressure handler. */
    private static OutboundBackpressure serverSide(Coordinator c) {
        await().atMost(Duration.ofSeconds(10)).until(() -> c.state().connections.live().size() == 1);
        Channel ch = c.state().connections.live().iterator().next();
        return ch.pipeline().get(OutboundBackpressure.class);
    }

    private static void assertClosedByPeer(Socket s) {
        assertThrows(IOException.class, () -> {
            while (true) {
                read(s); // drains what is left, then EOF or reset
            }
        });
    }

    /** Heartbeats, 10,000 frames at a time. */
    private static final byte[] HEARTBEATS;

    static {
        byte[] hb = HEARTBEAT.toByteArray();
        ByteBuffer bb = ByteBuffer.allocate(10_000 * (4 + hb.length));
        for (int i = 0; i < 10_000; i++) {
            bb.putInt(hb.length).put(hb);
        }
        HEARTBEATS = bb.array();
    }

    /**
     * Sends 5 million heartbeats (30 MB) on a thread of its own, reading nothing: their replies
     * (70 MB) are far more than every socket buffer and cap here. Counts the heartbeats sent.
     */
    private static Thread flood(Socket s, AtomicLong sent) {
        Thread writer = new Thread(() -> {
            try {
                while (sent.get() < FLOOD) {
                    s.getOutputStream().write(HEARTBEATS);
                    sent.addAndGet(10_000);
                }
            } catch (IOException e) {
                // closed
            }
        }, "flooder");
        writer.setDaemon(true);
        writer.start();
        return writer;
    }

    private static final long FLOOD = 5_000_000;

    @Test
    void aClientThatRegistersAndNeverReadsIsClosedAfterTheSlowReaderTimeout() throws Exception {
        int high = 32 << 10;
        long cap = 16L << 20;
        Coordinator c = coordinator(5, b -> b.writeBufferWaterMark(8 << 10, high).maxPendingOutboundBytes(cap)
                .slowReaderTimeout(Duration.ofMillis(500)).messageRateLimit(1e9, 1 << 30)
                .inboundByteRateLimit(1L << 40, 1L << 40));
        Socket s = connect(c);
        OutboundBackpressure handler = serverSide(c);
        register(c, s, "sloth", 1);
        Thread writer = flood(s, new AtomicLong());
        await().atMost(Duration.ofSeconds(30)).until(() -> c.connectedClients() == 0);
        assertEquals(OutboundBackpressure.Cut.SLOW_READER, handler.cut(), "closed as a slow reader");
        assertTrue(handler.pauses() >= 1, "reading was paused while unwritable");
        assertTrue(handler.peakPendingBytes() > high, "it was over the high watermark: " + handler.peakPendingBytes());
        assertTrue(handler.peakPendingBytes() < cap, "far less than the cap queued: " + handler.peakPendingBytes());
        assertEquals(0, c.state().connections.live().size());
        s.close();
        writer.join(10_000);
    }

    @Test
    void aWriteThatWouldPassTheOutboundCapClosesTheConnectionAndIsNotQueued() throws Exception {
        int high = 16 << 10;
        long cap = 64 << 10;
        assertTrue(model.parameterBytes() > 2 * cap, "a model download must not fit under the cap");
        Coordinator c = coordinator(1, b -> b.writeBufferWaterMark(4 << 10, high).maxPendingOutboundBytes(cap));
        Socket s = connect(c);
        OutboundBackpressure handler = serverSide(c);
        send(s, hello("tiny-buffer")); // the round starts at once: TrainTask and the whole model are queued for it
        await().atMost(Duration.ofSeconds(20)).until(() -> handler.cut() != null);
        assertEquals(OutboundBackpressure.Cut.OVER_CAP, handler.cut());
        await().atMost(Duration.ofSeconds(10)).until(() -> c.state().connections.live().isEmpty());
        assertTrue(handler.refusedWrites() >= 1, "the write over the cap was refused");
        assertTrue(handler.peakPendingBytes() <= cap, "queued at most the cap: " + handler.peakPendingBytes());
        assertEquals(0, c.connectedClients());
    }

    @Test
    void aClientFloodingHeartbeatsWithoutReadingIsNoLongerReadAndItsRepliesStayUnderTheCap() throws Exception {
        // What is queued stays under the high watermark plus the replies to one read loop (a few hundred KiB
        // to 2 MiB here); without the pause it would grow to the 70 MB of replies the flood asks for.
        long cap = 8 << 20;
        Coordinator c = coordinator(5, b -> b.writeBufferWaterMark(8 << 10, 32 << 10).maxPendingOutboundBytes(cap)
                .messageRateLimit(1e9, 1 << 30).inboundByteRateLimit(1L << 40, 1L << 40));
        Socket s = connect(c);
        OutboundBackpressure handler = serverSide(c);
        register(c, s, "flood", 1);
        AtomicLong sent = new AtomicLong();
        Thread writer = flood(s, sent);
        await().atMost(Duration.ofSeconds(30)).until(handler::paused);
        assertTrue(handler.peakPendingBytes() <= cap, "replies queued: " + handler.peakPendingBytes());
        assertTrue(c.state().connections.live().iterator().next().isActive(), "not cut: it stays under the cap");
        assertNull(handler.cut());
        s.close();
        writer.join(10_000);
        assertTrue(sent.get() < FLOOD, "the coordinator stopped reading: only " + sent.get() + " sent");
    }

    @Test
    void connectionsOverTheCapAreRefusedWithOverloadedAndAClosedOneFreesItsPlace() throws Exception {
        Coordinator c = coordinator(5, b -> b.maxConnections(2));
        Socket a = connect(c);
        send(a, hello("a"));
        assertEquals(Envelope.BodyCase.WELCOME, read(a).getBodyCase());
        Socket b = connect(c);
        send(b, hello("b"));
        assertEquals(Envelope.BodyCase.WELCOME, read(b).getBodyCase());
        Socket third = connect(c);
        Envelope refused = read(third);
        assertEquals(ErrorCode.OVERLOADED, refused.getError().getCode());
        assertClosedByPeer(third);
        assertEquals(1, c.state().connections.refused());
        a.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> c.state().connections.open() == 1);
        Socket fourth = connect(c);
        send(fourth, hello("d"));
        assertEquals(Envelope.BodyCase.WELCOME, read(fourth).getBodyCase());
        assertEquals(2, c.connectedClients());
    }

    private static Envelope chunk(int bytes) {
        return Envelope.newBuilder().setChunk(Chunk.newBuilder().setTransferId(77).setSeq(0)
                .setData(ByteString.copyFrom(new byte[bytes]))).build();
    }

    /** Reads until the heartbeat reply, skipping the one Error the unannounced chunks earn. */
    private static void expectHeartbeatReply(Socket s) throws IOException {
        Envelope e = read(s);
        if (e.getBodyCase() == Envelope.BodyCase.ERROR) {
            assertEquals(ErrorCode.UNEXPECTED_MESSAGE, e.getError().getCode());
            e = read(s);
        }
        assertEquals(Envelope.BodyCase.HEARTBEAT, e.getBodyCase());
    }

    @Test
    void aClientSendingMoreBytesThanItsBurstIsRateLimitedAndClosed() throws Exception {
        // 64 KiB at once, 1 KiB/s: within the test's few seconds the budget is at most about 70 KiB.
        Coordinator c = coordinator(5, b -> b.inboundByteRateLimit(1024, 64 << 10));
        Socket s = connect(c);
        send(s, hello("greedy"));
        assertEquals(Envelope.BodyCase.WELCOME, read(s).getBodyCase());
        for (int i = 0; i < 2; i++) {
            send(s, chunk(16 << 10)); // 32 KiB: under the burst
        }
        send(s, HEARTBEAT);
        expectHeartbeatReply(s);
        for (int i = 0; i < 3; i++) {
            try {
                send(s, chunk(16 << 10)); // 80 KiB in all: over it
            } catch (SocketException e) {
                break; // already closed
            }
        }
        Envelope e = read(s);
        assertEquals(ErrorCode.RATE_LIMITED, e.getError().getCode());
        assertClosedByPeer(s);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.connectedClients() == 0);
    }

    @Test
    void theDefaultByteRateLetsAClientSendTenMegabytesAsFastAsItCan() throws Exception {
        Coordinator c = coordinator(5, b -> b);
        Socket s = connect(c);
        send(s, hello("honest"));
        assertEquals(Envelope.BodyCase.WELCOME, read(s).getBodyCase());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        byte[] oneMiB = frame(chunk(1 << 20));
        for (int i = 0; i < 10; i++) {
            out.write(oneMiB);
        }
        out.write(frame(HEARTBEAT));
        out.flush();
        expectHeartbeatReply(s);
        assertEquals(1, c.connectedClients());
    }

    @Test
    void aPendingCapNotAboveTheHighWatermarkIsRefused() {
        assertThrows(IllegalStateException.class, () -> Coordinator.builder().initialModel(model)
                .strategy(FedAvg.builder().instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .writeBufferWaterMark(1 << 10, 1 << 20).maxPendingOutboundBytes(1 << 20).build());
    }
}
