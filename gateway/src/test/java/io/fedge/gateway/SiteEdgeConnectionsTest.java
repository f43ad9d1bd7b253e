package io.fedge.gateway;

import io.fedge.comm.signing.ModelSigner;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class SiteEdgeConnectionsTest {
    @Test
    void connectionsOverTheCapAreAnswered503BeforeAnyWorkAndRoomComesBackWhenOneCloses() throws Exception {
        EdgeRelay relay = new EdgeRelay(URI.create("http://127.0.0.1:1/edge-model"),
                ModelSigner.newKeyPair().getPublic(), io.fedge.edge.EdgeModelFetcher.client(null));
        SiteEdgeServer server = new SiteEdgeServer(relay, null, new InetSocketAddress("127.0.0.1", 0), 1,
                Duration.ofHours(1), 3);
        InetSocketAddress at = server.start();
        List<Socket> held = new ArrayList<>();
        try {
            for (int k = 1; k <= 3; k++) {
                held.add(new Socket("127.0.0.1", at.getPort()));
                int expected = k;
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == expected);
            }
            // answered as it connects, before it sends anything
            String over = exchange(at, null);
            assertTrue(over.startsWith("HTTP/1.1 503"), over);
            assertTrue(over.contains("the gateway has 3 connections open; try again later"), over);

            held.remove(0).close();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 2);
            String served = exchange(at, "POST /infer HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 14\r\nConnection: close\r\n\r\n{\"inputs\": []}");
            // past the cap this time: the endpoint itself answers (no model relayed yet)
            assertTrue(served.startsWith("HTTP/1.1 503"), served);
            assertTrue(served.contains("no edge model yet"), served);
        } finally {
            for (Socket s : held) {
                s.close();
            }
            server.close();
        }
    }

    private static String exchange(InetSocketAddress at, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", at.getPort())) {
            s.setSoTimeout(10_000);
            if (request != null) {
                OutputStream out = s.getOutputStream();
                out.write(request.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
