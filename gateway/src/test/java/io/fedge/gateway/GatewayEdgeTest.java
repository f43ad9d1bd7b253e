package io.fedge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.coordinator.Coordinator;
import io.fedge.coordinator.EdgePublishing;
import io.fedge.coordinator.SiteServer;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.ModelPresets;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.EdgeModelFetcher;
import io.fedge.edge.InferenceTelemetry;
import io.fedge.export.Distiller;
import io.fedge.export.EdgeQuantizer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway's edge endpoint against a real coordinator publishing a real distilled int8 model: the
 * file crosses upstream once for many devices and reaches them with the coordinator's signature
 * intact; inference answers what the engine computes on the same model here; telemetry reaches the
 * coordinator; every malformed or oversized request gets its one-line 4xx, and random bytes thrown
 * at the endpoint leave it serving.
 */
class GatewayEdgeTest {
    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    @Test
    void theSiteGetsTheCoordinatorsSignedModelOnceAndInferenceMatchesTheEngine() throws Exception {
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN);
        LabeledImages test = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(300);
        KeyPair keys = ModelSigner.newKeyPair();
        try (Coordinator c = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(7, 0.05)))
                .strategy(FedAvg.builder().minFitClients(1).minAvailableClients(1)
                        .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                .rounds(1)
                .modelSigningKey(keys.getPrivate())
                .edgePublishing(new EdgePublishing(1, "mlp-small", train.toDataSet(range(58_000, 60_000)),
                        test.toDataSet(), new Distiller(4, 0.7, 1, 64, 0.002, 1),
                        new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 99.99), new InetSocketAddress("127.0.0.1", 0)))
                .build()) {
            c.start();
            try (FederatedClient device = FederatedClient.builder().coordinator(c.localAddress()).clientId("c0")
                    .data(train.toDataSet(range(0, 2000))).seed(1).build().start()) {
                assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
                assertTrue(c.awaitEdgeExports(2, TimeUnit.MINUTES), "the last round's edge export ends");
                assertEquals(1, c.publishedEdgeModelVersion());
            }
            URI upstream = URI.create("http://127.0.0.1:" + c.edgeModelAddress().getPort() + "/edge-model");
            SiteServer site = SiteServer.builder().name("gw-edge").bind(new InetSocketAddress("127.0.0.1", 0)).build();
            try (Gateway g = Gateway.start(site, b -> b.coordinator(c.localAddress()).clientId("gw-edge"), 1,
                    new GatewayEdge(upstream, keys.getPublic(), null, null, new InetSocketAddress("127.0.0.1", 0), 2,
                            Duration.ofSeconds(30), GatewayEdge.DEFAULT_MAX_CONNECTIONS))) {
                URI base = URI.create("http://127.0.0.1:" + g.edgeAddress().getPort());
                HttpClient http = EdgeModelFetcher.client(null);
                // 40 devices at once, 8 at a time: the file still crosses upstream once
                java.util.concurrent.ExecutorService devices = java.util.concurrent.Executors.newFixedThreadPool(8);
                java.util.List<java.util.concurrent.Future<EdgeModelFetcher.Fetched>> fetched = new java.util.ArrayList<>();
                for (int d = 0; d < 40; d++) {
                    String id = "device-" + d;
                    fetched.add(devices.submit(() -> new EdgeModelFetcher(base.resolve("/edge-model"), keys.getPublic(),
                            http, id).fetchIfNewer(null).orElseThrow()));
                }
                EdgeModel model = null;
                for (java.util.concurrent.Future<EdgeModelFetcher.Fetched> f : fetched) {
                    assertEquals(1, f.get().version(), "the coordinator's release, signature checked with its key");
                    assertEquals("stable", f.get().release());
                    model = f.get().model();
                }
                devices.shutdown();
                long file = c.models().edgeExportsOf(1).get(0).fileBytes();
                assertEquals(file, g.edgeBytesFromCoordinator(),
                        "one file crossed upstream for 40 devices and the gateway's own refresh");

                // inference, JSON: what the engine computes here on the same file
                float[][] images = test.toDataSet().getFeatures().toFloatMatrix();
                StringBuilder json = new StringBuilder("{\"inputs\": [");
                for (int i = 0; i < 5; i++) {
                    json.append(i == 0 ? "" : ",").append(java.util.Arrays.toString(images[i]));
                }
                HttpResponse<String> r = post(http, base.resolve("/infer"), "application/json",
                        json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
                assertEquals(200, r.statusCode(), r.body());
                JsonNode answer = InferenceRequest.JSON.readTree(r.body());
                assertEquals(1, answer.get("version").asLong());
                for (int i = 0; i < 5; i++) {
                    float[] p = model.predict(images[i]);
                    int best = model.classify(images[i]);
                    JsonNode got = answer.get("predictions").get(i);
                    assertEquals(best, got.get("class").asInt());
                    assertEquals(p[best], got.get("confidence").floatValue(), 1e-6);
                }
                // inference, binary rows
                ByteBuffer rows = ByteBuffer.allocate(3 * 784 * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 10; i < 13; i++) {
                    for (float v : images[i]) {
                        rows.putFloat(v);
                    }
                }
                r = post(http, base.resolve("/infer"), "application/octet-stream", rows.array());
                assertEquals(200, r.statusCode(), r.body());
                for (int i = 0; i < 3; i++) {
                    assertEquals(model.classify(images[10 + i]),
                            InferenceRequest.JSON.readTree(r.body()).get("predictions").get(i).get("class").asInt());
                }
                assertEquals(2, g.inferencesServed());

                // telemetry reaches the coordinator through the gateway
                InferenceTelemetry t = new InferenceTelemetry("device-3", 10);
                t.record(1, 1_000, model.predict(images[0]), test.labels()[0]);
                r = post(http, base.resolve("/edge-telemetry"), "application/json",
                        t.drain().getBytes(StandardCharsets.UTF_8));
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.body().contains("\"ok\":true"), r.body());

                // hostile requests: each refused with its reason
                byte[] nan = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(5 * 4, Float.NaN).array();
                assertRefused(http, base, "application/octet-stream", nan, 400, "is NaN");
                assertRefused(http, base, "application/octet-stream", new byte[783 * 4], 400, "not whole rows");
                assertRefused(http, base, "application/octet-stream", new byte[65 * 784 * 4], 400, "at most 64");
                assertRefused(http, base, "application/json", "{\"inputs\": [[1, 2]]}".getBytes(), 400,
                        "array of 784 numbers");
                assertRefused(http, base, "application/json", "{\"inputs\": [".getBytes(), 400, "not JSON");
                assertRefused(http, base, "application/json", "[]".getBytes(), 400, "{\"inputs\"");
                HttpResponse<String> badId = http.send(HttpRequest.newBuilder(base.resolve("/edge-model?device=a%2Fb"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(400, badId.statusCode());
                assertEquals(404, http.send(HttpRequest.newBuilder(base.resolve("/nothing")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode());

                // fuzz: random bytes and mutated requests on raw sockets leave the endpoint serving
                Random rng = new Random(14);
                byte[] valid = ("POST /infer HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 14\r\n\r\n{\"inputs\": []}").getBytes(StandardCharsets.US_ASCII);
                for (int k = 0; k < 200; k++) {
                    byte[] msg = valid.clone();
                    if (k % 2 == 0) {
                        rng.nextBytes(msg);
                    } else {
                        for (int m = 0; m < 1 + rng.nextInt(6); m++) {
                            msg[rng.nextInt(msg.length)] = (byte) rng.nextInt(256);
                        }
                    }
                    try (Socket s = new Socket("127.0.0.1", g.edgeAddress().getPort())) {
                        s.setSoTimeout(5_000);
                        OutputStream out = s.getOutputStream();
                        out.write(msg);
                        out.flush();
                        s.shutdownOutput();
                        InputStream in = s.getInputStream();
                        in.read(new byte[4096]); // an answer or a close; never a hang past the timeout
                    } catch (java.net.SocketTimeoutException e) {
                        throw new AssertionError("request " + k + " left the connection hanging", e);
                    } catch (java.io.IOException e) {
                        // reset by the server: fine
                    }
                }
                r = post(http, base.resolve("/infer"), "application/octet-stream", rows.array());
                assertEquals(200, r.statusCode(), "still serving after the fuzz: " + r.body());

                // the coordinator goes away: the site keeps serving the newest stable version it holds
                c.close();
                EdgeModelFetcher.Fetched offline = new EdgeModelFetcher(base.resolve("/edge-model"), keys.getPublic(),
                        http, "device-offline").fetchIfNewer(null).orElseThrow();
                assertEquals(1, offline.version());
                assertEquals(file, g.edgeBytesFromCoordinator(), "nothing more came from upstream");
                r = post(http, base.resolve("/infer"), "application/octet-stream", rows.array());
                assertEquals(200, r.statusCode(), "inference needs no coordinator: " + r.body());
            }
        }
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String type, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(HttpClient http, URI base, String type, byte[] body, int status, String reason)
            throws Exception {
        HttpResponse<String> r = post(http, base.resolve("/infer"), type, body);
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().contains(reason), r.body());
        assertTrue(r.body().strip().lines().count() <= 1, "one line: " + r.body());
    }
}
