package io.fedge.client;

import com.google.protobuf.ByteString;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.proto.Welcome;
import io.netty.channel.embedded.EmbeddedChannel;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * One client's link handler on an {@link EmbeddedChannel}, welcomed, with training run inline on
 * the calling thread: what the coordinator sends goes in with {@link #receive}, what the client
 * answers comes out with {@link #next}.
 */
final class LinkHarness implements AutoCloseable {
    static final int CHUNK_BYTES = 64;
    static final String CLIENT_ID = "device-1";

    final FederatedClient client;
    final EmbeddedChannel channel;
    /** The Hello the client sent. */
    final Envelope hello;

    LinkHarness(PublicKey pinned) {
        this(pinned, null);
    }

    /** With the client's state (error feedback, SCAFFOLD's control variate) kept in {@code stateDir}, if given. */
    LinkHarness(PublicKey pinned, java.nio.file.Path stateDir) {
        FederatedClient.Builder b = FederatedClient.builder()
                .coordinator("127.0.0.1", 1)
                .clientId(CLIENT_ID)
                .data(TinyModels.data())
                .trainingExecutor(Runnable::run)
                .seed(1);
        if (pinned != null) {
            b.trustedModelKey(pinned);
        }
        if (stateDir != null) {
            b.stateDir(stateDir);
        }
        client = b.build();
        channel = new EmbeddedChannel(new CoordinatorLinkHandler(client));
        hello = channel.readOutbound();
        assertEquals(Envelope.BodyCase.HELLO, hello.getBodyCase());
        receive(Envelope.newBuilder().setWelcome(Welcome.newBuilder().setProtocolVersion(WireProtocol.VERSION)
                .setClientId(CLIENT_ID).setHeartbeatIntervalMs(60_000).setMaxChunkBytes(1 << 20).setModelDeltas(true)).build());
    }

    void receive(Envelope msg) {
        channel.writeInbound(msg);
        channel.runPendingTasks();
    }

    /** The next message the client sent, which must be an envelope. */
    Envelope next() {
        channel.runPendingTasks();
        Object out = channel.readOutbound();
        assertNotNull(out, "the client sent nothing");
        return (Envelope) out;
    }

    /** Whatever the client sent next, or null. */
    Object poll() {
        channel.runPendingTasks();
        return channel.readOutbound();
    }

    /** The header of a model transfer of {@code payload}, unsigned. */
    static TransferHeader header(long transferId, byte[] payload) {
        OutgoingTransfer t = OutgoingTransfer.ofBytes(transferId, payload, CHUNK_BYTES);
        try {
            return t.header();
        } finally {
            t.release();
        }
    }

    /** The chunks of {@code payload} as the coordinator sends them after a task. */
    static List<Envelope> chunks(long transferId, byte[] payload) {
        List<Envelope> out = new ArrayList<>();
        int seq = 0;
        for (int from = 0; from < payload.length; from += CHUNK_BYTES) {
            out.add(Envelope.newBuilder().setChunk(Chunk.newBuilder().setTransferId(transferId).setSeq(seq++)
                    .setData(ByteString.copyFrom(payload, from, Math.min(CHUNK_BYTES, payload.length - from)))).build());
        }
        return out;
    }

    /** Sends {@code task} and the chunks of {@code payload}. */
    void receiveTaskAndModel(Envelope task, long transferId, byte[] payload) {
        receive(task);
        for (Envelope c : chunks(transferId, payload)) {
            receive(c);
        }
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
        client.close();
    }
}
