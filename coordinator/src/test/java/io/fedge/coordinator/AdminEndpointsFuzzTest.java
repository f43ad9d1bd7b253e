package io.fedge.coordinator;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fuzz campaign for the admin API: random and mutated routes, methods and queries through
 * {@link AdminApi} (every answer one of the documented statuses, nothing thrown, nothing changed
 * that a refused request asked for), then mutated raw HTTP requests over the admin endpoint's
 * real mutual TLS socket (each answered or closed; the server answers a valid request after
 * them all).
 */
class AdminEndpointsFuzzTest {
    private static final Set<Integer> STATUSES = Set.of(200, 202, 400, 403, 404, 405, 409, 413, 500);
    private static final String[] SEEDS = {"/api/status", "/api/rounds?since=3", "/api/models", "/api/models/0",
        "/api/models/1/promote?force=true", "/api/models/0/rollback", "/api/models/0/canary",
        "/api/compare?a=0&b=1&clients=2", "/api/comparisons", "/metrics", "/", "/index.html", "/app.js"};
    @TempDir
    Path certs;
    @TempDir
    Path state;
    private Coordinator coordinator;

    @AfterEach
    void close() {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private static String mutate(String s, Random rng) {
        StringBuilder b = new StringBuilder(s);
        int edits = 1 + rng.nextInt(4);
        String alphabet = "/?&=.%0123456789azAZ-_~:;#[]\\\u0000\u00ff\u2028 \t\r\n";
        for (int k = 0; k < edits; k++) {
            int op = rng.nextInt(3);
            int at = b.isEmpty() ? 0 : rng.nextInt(b.length());
            char c = alphabet.charAt(rng.nextInt(alphabet.length()));
            if (op == 0 || b.isEmpty()) {
                b.insert(at, c);
            } else if (op == 1) {
                b.setCharAt(at, c);
            } else {
                b.deleteCharAt(at);
            }
        }
        if (rng.nextInt(50) == 0) {
            b.append("x".repeat(rng.nextInt(5_000)));
        }
        return b.toString();
    }

    @Test
    void mutatedRequestsGetADocumentedAnswerAndChangeNothing() throws Exception {
        CertificateDirectory dir = new CertificateDirectory(certs);
        CertificateAuthority ca = dir.createAuthority("fuzz-ca", Duration.ofDays(1), Clock.systemUTC());
        dir.issueServer(ca, List.of("127.0.0.1"), Duration.ofDays(1));
        Credentials admin = dir.issueAdmin(ca, "ops", Duration.ofDays(1));
        coordinator = Coordinator.builder().bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(1, 0.05)))
                .strategy(FedAvg.builder().minFitClients(2).minAvailableClients(2)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(3).stateDir(state)
                .admin(AdminEndpoint.of(new InetSocketAddress("127.0.0.1", 0), dir)).build();
        coordinator.start(); // no clients: the federation waits, version 0 is the only one
        Map<String, Long> labels = coordinator.models().labels();
        AdminApi api = new AdminApi(coordinator);
        Random rng = new Random(13);
        String[] methods = {"GET", "POST", "PUT", "DELETE", "HEAD", "get", ""};
        for (int i = 0; i < 30_000; i++) {
            String uri = mutate(SEEDS[rng.nextInt(SEEDS.length)], rng);
            AdminApi.Response r = api.handle(methods[rng.nextInt(methods.length)], uri, rng.nextBoolean());
            assertTrue(STATUSES.contains(r.status()), r.status() + " for " + uri);
            assertTrue(r.contentType() != null && r.body() != null);
        }
        // version 0 is the only one: nothing can have been promoted, rolled back or compared
        assertEquals(1, coordinator.models().entries().size());
        assertTrue(coordinator.models().comparisons().isEmpty());
        assertEquals(labels.keySet().isEmpty() ? Set.of() : labels.keySet(), coordinator.models().labels().keySet()
                .isEmpty() ? Set.of() : coordinator.models().labels().keySet());

        // raw bytes over the real TLS socket
        int port = coordinator.adminAddress().getPort();
        javax.net.ssl.SSLContext tls = TlsTestSockets.context(admin, dir.loadCaCertificate());
        String valid = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        for (int i = 0; i < 300; i++) {
            byte[] req = mutate(i % 3 == 0 ? valid : "POST " + SEEDS[rng.nextInt(SEEDS.length)]
                    + " HTTP/1.1\r\nHost: x\r\nX-Fedge-Admin: 1\r\nContent-Length: 3\r\n\r\nabc", rng)
                    .getBytes(StandardCharsets.ISO_8859_1);
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
                s.setSoTimeout(20_000);
                OutputStream out = s.getOutputStream();
                out.write(req);
                out.flush();
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                byte[] head = in.readNBytes(12);
                if (head.length > 0) {
                    String line = new String(head, StandardCharsets.ISO_8859_1);
                    assertTrue(line.startsWith("HTTP/1.1 "), "an HTTP answer, not: " + line);
                    assertTrue(STATUSES.contains(Integer.parseInt(line.substring(9, 12))), line);
                }
            } catch (java.net.SocketException | javax.net.ssl.SSLException e) {
                // closed by the server: allowed for a request it cannot read
            }
        }
        AdminClient ops = AdminClient.of(URI.create("https://127.0.0.1:" + port + "/"), admin, dir.loadCaCertificate());
        AdminClient.Reply after = ops.get("/api/status");
        assertEquals(200, after.status(), "the endpoint still answers after the campaign");
        assertTrue(after.body().contains("\"modelVersion\":0"), after.body());
    }
}
