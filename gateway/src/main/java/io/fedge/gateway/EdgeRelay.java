package io.fedge.gateway;

import io.fedge.edge.EdgeModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The gateway's side of the coordinator's edge-model endpoint: each signed edge model file crosses
 * upstream once per site. For a device's request the relay asks the coordinator which release that
 * device gets ({@code GET /edge-model?device=ID}, naming every version it holds in
 * {@code If-None-Match}, so the answer is a bodiless {@code 304} with the release's {@code ETag}
 * when it has it), so the coordinator's canary split and its per-device accounting stay the
 * coordinator's. A file is kept only after its signature checks out against the coordinator's key;
 * the newest {@link #MAX_VERSIONS} are kept. When the coordinator cannot be reached the relay
 * serves the newest stable version it holds, and says so in the log once per minute.
 *
 * <p>One exchange with the coordinator runs at a time: two devices asking at once for a version
 * the site does not hold yet would otherwise both be answered with the whole file. The second
 * asks after the first has kept it, and gets a {@code 304}. A request that cannot take its turn
 * within {@link #TURN} (the coordinator is slow or gone) is served the newest stable version held.
 *
 * <p>Thread-safe.
 */
final class EdgeRelay {
    private static final Logger log = LoggerFactory.getLogger(EdgeRelay.class);
    /** Versions kept: the stable one, a canary, and the one before them. */
    static final int MAX_VERSIONS = 3;
    /** The largest edge model file taken from upstream. */
    static final int MAX_FILE_BYTES = 64 << 20;
    /** How long a device's request waits for its turn to ask the coordinator. */
    static final Duration TURN = Duration.ofSeconds(5);

    /** One signed file as the coordinator released it. */
    record Release(long version, String release, byte[] file, EdgeModel model) {
    }

    private final URI upstream;
    private final PublicKey coordinatorKey;
    private final HttpClient http;
    private final Map<Long, Release> versions = new LinkedHashMap<>();
    private final ReentrantLock exchange = new ReentrantLock();
    private volatile Release newestStable;
    private long lastOutageLog;
    private volatile long upstreamBytes;

    EdgeRelay(URI upstream, PublicKey coordinatorKey, HttpClient http) {
        this.upstream = upstream;
        this.coordinatorKey = coordinatorKey;
        this.http = http;
    }

    /** The newest stable release held, for the gateway's own inference. */
    Optional<Release> newestStable() {
        return Optional.ofNullable(newestStable);
    }

    /** Bytes of edge model files downloaded from the coordinator so far. */
    long upstreamBytes() {
        return upstreamBytes;
    }

    /**
     * The release the coordinator gives {@code device} (null: no id, the stable one), downloaded
     * only if this gateway does not hold it yet; empty when none exists yet.
     *
     * @throws IOException if the coordinator sent a file that fails verification, or cannot be
     *     reached and nothing is held
     */
    Optional<Release> forDevice(String device) throws IOException, InterruptedException {
        if (!exchange.tryLock(TURN.toMillis(), TimeUnit.MILLISECONDS)) {
            Release fallback = newestStable;
            if (fallback == null) {
                throw new IOException("the coordinator's edge endpoint " + upstream + " has not answered within "
                        + TURN.toSeconds() + " s and this gateway holds no edge model yet");
            }
            outage(new IOException("no answer within " + TURN.toSeconds() + " s"));
            return Optional.of(fallback);
        }
        try {
            return ask(device);
        } finally {
            exchange.unlock();
        }
    }

    private Optional<Release> ask(String device) throws IOException, InterruptedException {
        String query = device == null ? "" : "?device=" + URLEncoder.encode(device, StandardCharsets.UTF_8);
        HttpRequest.Builder req = HttpRequest.newBuilder(upstream.resolve(upstream.getPath() + query))
                .timeout(Duration.ofSeconds(30)).GET();
        String held = heldEtags();
        if (!held.isEmpty()) {
            req.header("If-None-Match", held);
        }
        HttpResponse<byte[]> res;
        try {
            res = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            Release fallback = newestStable;
            if (fallback == null) {
                throw new IOException("the coordinator's edge endpoint " + upstream + " cannot be reached: "
                        + reason(e), e);
            }
            outage(e);
            return Optional.of(fallback);
        }
        if (res.statusCode() == 404) {
            return Optional.empty();
        }
        long version = version(res.headers().firstValue("ETag").orElse(""));
        String release = res.headers().firstValue("X-Fedge-Release").orElse("stable");
        if (res.statusCode() == 304) {
            Release r = held(version);
            if (r == null) {
                throw new IOException("the coordinator answered 304 for version " + version + ", which this gateway "
                        + "does not hold");
            }
            return Optional.of(new Release(r.version(), release, r.file(), r.model()));
        }
        if (res.statusCode() != 200) {
            throw new IOException("the coordinator's edge endpoint answered " + res.statusCode());
        }
        byte[] file = res.body();
        if (file.length > MAX_FILE_BYTES) {
            throw new IOException("edge model of " + file.length + " bytes is over the gateway's "
                    + MAX_FILE_BYTES + "-byte limit");
        }
        EdgeModel model = EdgeModel.read(file, coordinatorKey); // signature, format and shapes
        upstreamBytes += file.length; // only the exchange's holder writes it
        Release r = new Release(version, release, file, model);
        keep(r);
        log.info("edge model v{} ({}) relayed from the coordinator: {} bytes", version, release, file.length);
        return Optional.of(r);
    }

    private void outage(IOException e) {
        long now = System.currentTimeMillis();
        synchronized (this) {
            if (now - lastOutageLog < 60_000) {
                return;
            }
            lastOutageLog = now;
        }
        log.warn("the coordinator's edge endpoint cannot be reached ({}); serving edge model v{}", reason(e),
                newestStable.version());
    }

    private static String reason(IOException e) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    private static long version(String etag) throws IOException {
        String e = etag.strip();
        if (e.length() < 4 || !e.startsWith("\"v") || !e.endsWith("\"")) {
            throw new IOException("the coordinator's edge endpoint sent ETag '" + etag + "', not \"vN\"");
        }
        try {
            return Long.parseLong(e.substring(2, e.length() - 1));
        } catch (NumberFormatException ex) {
            throw new IOException("the coordinator's edge endpoint sent ETag '" + etag + "', not \"vN\"");
        }
    }

    private synchronized String heldEtags() {
        StringJoiner j = new StringJoiner(", ");
        for (long v : versions.keySet()) {
            j.add("\"v" + v + "\"");
        }
        return j.toString();
    }

    private synchronized Release held(long version) {
        return versions.get(version);
    }

    private synchronized void keep(Release r) {
        versions.remove(r.version());
        versions.put(r.version(), r);
        while (versions.size() > MAX_VERSIONS) {
            versions.remove(versions.keySet().iterator().next());
        }
        if (r.release().equals("stable") && (newestStable == null || r.version() >= newestStable.version())) {
            newestStable = r;
        }
    }

    /** Forwards a device's telemetry report as it came; answers the coordinator's status and body. */
    HttpResponse<byte[]> telemetry(byte[] body) throws IOException, InterruptedException {
        URI uri = upstream.resolve("/edge-telemetry");
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
