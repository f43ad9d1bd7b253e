package io.fedge.client;

import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.ByeCode;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Error;
import io.fedge.comm.proto.ErrorCode;
import io.fedge.comm.proto.Welcome;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a client ends, against a scripted coordinator on a real socket: for good when the
 * federation is finished or the coordinator refuses it, reconnecting when the coordinator goes
 * away or is only overloaded, giving up after its bound when nothing answers, and saying goodbye
 * with CLIENT_CLOSED when the application closes it.
 */
class ClientLifecycleTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private FakeCoordinator coordinator(FakeCoordinator.Script script) throws InterruptedException {
        FakeCoordinator c = new FakeCoordinator(null, script);
        closeables.add(c);
        return c;
    }

    private FederatedClient client(InetSocketAddress address, Duration giveUpAfter) {
        FederatedClient.Builder b = FederatedClient.builder()
                .coordinator(address)
                .clientId("device-9")
                .data(TinyModels.data())
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .seed(3);
        if (giveUpAfter != null) {
            b.giveUpAfter(giveUpAfter);
        }
        FederatedClient client = b.build();
        closeables.add(client);
        return client.start();
    }

    private static void bye(ChannelHandlerContext ctx, ByeCode code, String reason) {
        ctx.writeAndFlush(Envelope.newBuilder().setBye(Bye.newBuilder().setCode(code).setReason(reason)).build())
                .addListener(ChannelFutureListener.CLOSE);
    }

    private static void error(ChannelHandlerContext ctx, ErrorCode code, String message) {
        ctx.writeAndFlush(Envelope.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message)).build())
                .addListener(ChannelFutureListener.CLOSE);
    }

    private static ClientEnding awaitEnding(FederatedClient client) throws InterruptedException {
        assertTrue(client.awaitTermination(20, TimeUnit.SECONDS), "the client ended");
        return client.ending().orElseThrow();
    }

    @Test
    void aCoordinatorGoingAwayIsReconnectedToAndAFinishedFederationEndsTheClient() throws Exception {
        FakeCoordinator c = coordinator((ctx, n) -> {
            ctx.writeAndFlush(FakeCoordinator.welcome());
            bye(ctx, n == 1 ? ByeCode.GOING_AWAY : ByeCode.FEDERATION_FINISHED, n == 1 ? "restarting" : "10 rounds done");
        });
        FederatedClient client = client(c.address(), null);
        ClientEnding end = awaitEnding(client);
        assertEquals(ClientEnding.Kind.FINISHED, end.kind());
        assertTrue(end.reason().contains("10 rounds done"), end.reason());
        assertEquals(2, c.hellos.get(), "one reconnection after GOING_AWAY, none after FEDERATION_FINISHED");
        assertTrue(client.failure().isEmpty());
    }

    @Test
    void aByeWithoutACodeMeansFinishedAsOlderCoordinatorsMeantIt() throws Exception {
        FakeCoordinator c = coordinator((ctx, n) -> {
            ctx.writeAndFlush(FakeCoordinator.welcome());
            ctx.writeAndFlush(Envelope.newBuilder().setBye(Bye.newBuilder().setReason("federation over")).build());
        });
        ClientEnding end = awaitEnding(client(c.address(), null));
        assertEquals(ClientEnding.Kind.FINISHED, end.kind());
        assertEquals(1, c.hellos.get());
    }

    @Test
    void aRefusingByeEndsTheClientWithTheCoordinatorsReason() throws Exception {
        FakeCoordinator c = coordinator((ctx, n) -> bye(ctx, ByeCode.REFUSED, "device-9 is banned"));
        FederatedClient client = client(c.address(), null);
        ClientEnding end = awaitEnding(client);
        assertEquals(ClientEnding.Kind.REFUSED, end.kind());
        assertEquals("the coordinator refuses this client: device-9 is banned", client.failure().orElseThrow());
        assertEquals(1, c.hellos.get(), "no retry");
    }

    @Test
    void errorsRetryingCannotFixEndTheClient() throws Exception {
        for (ErrorCode code : new ErrorCode[] {ErrorCode.UNAUTHENTICATED, ErrorCode.REVOKED,
                ErrorCode.UNSUPPORTED_PROTOCOL}) {
            FakeCoordinator c = coordinator((ctx, n) -> error(ctx, code, "no"));
            FederatedClient client = client(c.address(), null);
            ClientEnding end = awaitEnding(client);
            assertEquals(ClientEnding.Kind.REFUSED, end.kind(), code.name());
            assertEquals("the coordinator refuses this client: " + code + ": no", end.reason());
            assertEquals(1, c.hellos.get(), code + ": no retry");
        }
    }

    @Test
    void aHelloOutOfTheCoordinatorsBoundsEndsTheClientButTheSameErrorLaterDoesNot() throws Exception {
        // refused at registration for what its Hello says (too many examples declared): it would send the same again
        FakeCoordinator refusing = coordinator((ctx, n) -> error(ctx, ErrorCode.LIMIT_EXCEEDED, "too many examples"));
        ClientEnding end = awaitEnding(client(refusing.address(), null));
        assertEquals(ClientEnding.Kind.REFUSED, end.kind());
        assertEquals("the coordinator refuses this client: LIMIT_EXCEEDED: too many examples", end.reason());
        assertEquals(1, refusing.hellos.get(), "no retry");
        // once registered, LIMIT_EXCEEDED refuses one update, not the client
        FakeCoordinator later = coordinator((ctx, n) -> {
            ctx.writeAndFlush(FakeCoordinator.welcome());
            ctx.writeAndFlush(Envelope.newBuilder().setError(Error.newBuilder().setCode(ErrorCode.LIMIT_EXCEEDED)
                    .setMessage("update claims too much")).build());
            bye(ctx, ByeCode.FEDERATION_FINISHED, "done");
        });
        assertEquals(ClientEnding.Kind.FINISHED, awaitEnding(client(later.address(), null)).kind());
    }

    @Test
    void aCoordinatorOfAnotherProtocolVersionEndsTheClient() throws Exception {
        FakeCoordinator c = coordinator((ctx, n) -> ctx.writeAndFlush(Envelope.newBuilder().setWelcome(
                Welcome.newBuilder().setProtocolVersion(WireProtocol.VERSION + 1)).build()));
        ClientEnding end = awaitEnding(client(c.address(), null));
        assertEquals(ClientEnding.Kind.REFUSED, end.kind());
        assertEquals("the coordinator speaks protocol " + (WireProtocol.VERSION + 1) + ", this client "
                + WireProtocol.VERSION, end.reason());
    }

    @Test
    void anOverloadedOrRateLimitingCoordinatorIsRetried() throws Exception {
        FakeCoordinator c = coordinator((ctx, n) -> {
            switch (n) {
                case 1 -> error(ctx, ErrorCode.OVERLOADED, "full");
                case 2 -> error(ctx, ErrorCode.RATE_LIMITED, "slow down");
                default -> {
                    ctx.writeAndFlush(FakeCoordinator.welcome());
                    bye(ctx, ByeCode.FEDERATION_FINISHED, "done");
                }
            }
        });
        ClientEnding end = awaitEnding(client(c.address(), null));
        assertEquals(ClientEnding.Kind.FINISHED, end.kind());
        assertEquals(3, c.hellos.get());
    }

    @Test
    void aCoordinatorUnreachableForTheBoundEndsTheClient() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        InetSocketAddress nowhere = new InetSocketAddress("127.0.0.1", port);
        long start = System.nanoTime();
        FederatedClient client = client(nowhere, Duration.ofMillis(400));
        ClientEnding end = awaitEnding(client);
        assertEquals(ClientEnding.Kind.GAVE_UP, end.kind());
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(400), "not before the bound");
        assertTrue(end.reason().startsWith("coordinator 127.0.0.1:" + port + " unreachable for 0.4s ("), end.reason());
        assertTrue(end.reason().contains("refused"), "names the last failure: " + end.reason());
        assertEquals(0, client.connectionCount());
    }

    @Test
    void aCoordinatorThatKeepsClosingBeforeTheWelcomeIsGivenUpOn() throws Exception {
        FakeCoordinator c = coordinator((ctx, n) -> error(ctx, ErrorCode.OVERLOADED, "full"));
        FederatedClient client = client(c.address(), Duration.ofMillis(300));
        ClientEnding end = awaitEnding(client);
        assertEquals(ClientEnding.Kind.GAVE_UP, end.kind());
        assertTrue(end.reason().contains("last: the coordinator answered OVERLOADED: full"), end.reason());
        assertTrue(c.hellos.get() >= 2, "retried while the bound lasted");
    }

    @Test
    void closingTheClientSaysClientClosed() throws Exception {
        FakeCoordinator c = coordinator((ctx, n) -> ctx.writeAndFlush(FakeCoordinator.welcome()));
        FederatedClient client = client(c.address(), null);
        await().atMost(Duration.ofSeconds(10)).until(client::isRegistered);
        client.close();
        Envelope bye = c.next(Envelope.BodyCase.BYE);
        assertEquals(ByeCode.CLIENT_CLOSED, bye.getBye().getCode());
        ClientEnding end = awaitEnding(client);
        assertEquals(ClientEnding.Kind.CLOSED, end.kind());
        assertTrue(client.failure().isEmpty());
    }
}
