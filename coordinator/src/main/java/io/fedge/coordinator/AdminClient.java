package io.fedge.coordinator;

import io.fedge.comm.tls.Credentials;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;

/**
 * Calls a coordinator's admin API ({@link AdminApi}) with an administrator's certificate, trusting
 * only the federation's authority and checking the coordinator's name against its certificate:
 * what {@code fedge models promote|rollback} and monitoring scripts use. Thread-safe.
 */
public final class AdminClient {
    /** One answer: its HTTP status and body. */
    public record Reply(int status, String body) {
    }

    private final URI base;
    private final HttpClient http;

    private AdminClient(URI base, HttpClient http) {
        this.base = base;
        this.http = http;
    }

    /**
     * @param base  the admin endpoint, {@code https://host:port}
     * @param admin the administrator's certificate and key
     * @param ca    the federation's authority
     */
    public static AdminClient of(URI base, Credentials admin, X509Certificate ca) {
        Objects.requireNonNull(base, "base");
        if (!"https".equals(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("the admin endpoint must be an https://HOST:PORT address, not '" + base
                    + "'");
        }
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] pass = new char[0];
            keys.setKeyEntry("admin", admin.key(), pass, new Certificate[] {admin.certificate()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, pass);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLSv1.3");
            tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            SSLParameters params = new SSLParameters();
            params.setProtocols(new String[] {"TLSv1.3"});
            HttpClient http = HttpClient.newBuilder().sslContext(tls).sslParameters(params)
                    .connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();
            return new AdminClient(base, http);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot use the administrator's certificate: " + e.getMessage(), e);
        }
    }

    public Reply get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    /** POSTs with the header the admin API requires of POSTs. */
    public Reply post(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).header(AdminApi.CSRF_HEADER, "1")
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** POSTs without that header (for tests of the refusal). */
    Reply postWithoutHeader(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    private Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }
}
