package io.fedge.coordinator;

import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.RevocationList;
import io.fedge.comm.tls.TlsContexts;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where and how the coordinator serves its admin API, metrics and dashboard: an address, and a
 * server TLS context that requires a client certificate of the federation's authority. The
 * server then takes only administrators' certificates ({@link io.fedge.comm.tls.KeyPurposes#ADMIN});
 * a client's certificate is refused with 403 and logged, another authority's fails the handshake.
 *
 * @param bind where to listen (port 0 for any free port)
 * @param tls  a server context that requires client certificates
 */
public record AdminEndpoint(InetSocketAddress bind, SslContext tls) {
    public AdminEndpoint {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(tls, "tls: the admin API is served over TLS with administrators' certificates only");
        if (!tls.isServer()) {
            throw new IllegalArgumentException("the admin endpoint needs a server TLS context");
        }
    }

    /**
     * The endpoint for a certificate folder made by {@code fedge certs}: the coordinator's own
     * certificate, clients checked against the authority and {@code revocations}.
     */
    public static AdminEndpoint of(InetSocketAddress bind, CertificateDirectory dir) throws IOException {
        return new AdminEndpoint(bind, TlsContexts.server(dir, TlsContexts.provider()));
    }

    /** {@link #of(InetSocketAddress, CertificateDirectory)} checking certificates against {@code revocations}. */
    public static AdminEndpoint of(InetSocketAddress bind, CertificateDirectory dir, RevocationList revocations)
            throws IOException {
        return new AdminEndpoint(bind, TlsContexts.server(dir, TlsContexts.provider(), revocations));
    }
}
