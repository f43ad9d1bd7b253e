package io.fedge.edge;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Fetches the newest edge model a coordinator serves ({@code GET /edge-model}) with the JDK's HTTP
 * client, for devices that only infer: no dependency beyond the JDK. Every file is checked against
 * the pinned coordinator key before it is parsed; a model the device already has (same ETag) is
 * not downloaded again.
 *
 * <pre>{@code
 * EdgeModelFetcher fetcher = new EdgeModelFetcher(URI.create("http://coordinator:7071/edge-model"), coordinatorKey);
 * Optional<EdgeModelFetcher.Fetched> update = fetcher.fetchIfNewer(current == null ? null : current.etag());
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class EdgeModelFetcher {
    /**
     * A fetched, verified model, the tag that names its version, and which release it is to this
     * device ({@code stable}, or {@code canary} when the coordinator tries it on this device).
     */
    public record Fetched(EdgeModel model, String etag, String release) {
        /** The global model version the tag names ({@code "v12"} is 12), or -1 when it names none. */
        public long version() {
            String t = etag == null ? "" : etag.replace("\"", "");
            try {
                return t.startsWith("v") ? Long.parseLong(t.substring(1)) : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    private final URI uri;
    private final PublicKey trustedKey;
    private final HttpClient http;

    public EdgeModelFetcher(URI uri, PublicKey trustedKey) {
        this(uri, trustedKey, null);
    }

    /**
     * For an {@code https} URI: {@code tls} decides whom to trust, for example
     * {@link #trusting(java.security.cert.X509Certificate)} the fleet's CA; null for the JDK's defaults.
     */
    public EdgeModelFetcher(URI uri, PublicKey trustedKey, javax.net.ssl.SSLContext tls) {
        this(uri, trustedKey, client(tls), null);
    }

    /**
     * A device's fetcher: it asks for the model of device {@code deviceId} (a canary's devices get
     * the canary, the same ones on every fetch), through {@code http} (one client can serve many
     * fetchers).
     *
     * @param deviceId 1 to 64 letters, digits, '.', '_' or '-'; null for the stable model
     */
    public EdgeModelFetcher(URI uri, PublicKey trustedKey, HttpClient http, String deviceId) {
        Objects.requireNonNull(uri, "uri");
        this.trustedKey = Objects.requireNonNull(trustedKey, "trustedKey");
        this.http = Objects.requireNonNull(http, "http");
        if (deviceId != null && !deviceId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("device id must be 1 to 64 letters, digits, '.', '_' or '-': '"
                    + deviceId + "'");
        }
        this.uri = deviceId == null ? uri : URI.create(uri + (uri.getQuery() == null ? "?" : "&") + "device=" + deviceId);
    }

    /** An HTTP client for fetchers: {@code tls} decides whom to trust (null: the JDK's defaults). */
    public static HttpClient client(javax.net.ssl.SSLContext tls) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls != null) {
            b.sslContext(tls);
        }
        return b.build();
    }

    /** A TLS context that trusts exactly {@code ca} (the fleet's CA, {@code ca.crt}). */
    public static javax.net.ssl.SSLContext trusting(java.security.cert.X509Certificate ca) throws IOException {
        try {
            java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("fedge-ca", ca);
            javax.net.ssl.TrustManagerFactory f = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
            ctx.init(null, f.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot build a TLS context trusting " + ca.getSubjectX500Principal(), e);
        }
    }

    /** Reads a PEM certificate ({@code ca.crt}). */
    public static java.security.cert.X509Certificate readCertificate(java.nio.file.Path pem) throws IOException {
        try (var in = java.nio.file.Files.newInputStream(pem)) {
            return (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(pem + " is not an X.509 certificate: " + e.getMessage(), e);
        }
    }

    /** Reads an Ed25519 public key from a PEM file ({@code model-signing.pub}, as {@code fedge certs init} writes it). */
    public static PublicKey readPublicKey(java.nio.file.Path pem) throws IOException {
        String b64 = java.nio.file.Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return java.security.KeyFactory.getInstance("Ed25519").generatePublic(
                    new java.security.spec.X509EncodedKeySpec(java.util.Base64.getDecoder().decode(b64)));
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(pem + " is not an Ed25519 public key in PEM: " + e.getMessage(), e);
        }
    }

    /**
     * The newest model, unless it is the one tagged {@code etag} (or none is published yet).
     *
     * @throws SecurityException if the file's signature does not verify with the pinned key
     * @throws IOException if the coordinator cannot be reached or the file is malformed
     */
    public Optional<Fetched> fetchIfNewer(String etag) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET();
        if (etag != null) {
            req.header("If-None-Match", etag);
        }
        HttpResponse<byte[]> res = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        return switch (res.statusCode()) {
            case 304, 404 -> Optional.empty();
            case 200 -> Optional.of(new Fetched(EdgeModel.read(res.body(), trustedKey),
                    res.headers().firstValue("ETag").orElse(null),
                    res.headers().firstValue("X-Fedge-Release").orElse("stable")));
            default -> throw new IOException("GET " + uri + " answered " + res.statusCode());
        };
    }
}
