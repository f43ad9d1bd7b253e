package io.fedge.gateway;

import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.net.URI;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Objects;

/**
 * How a gateway serves edge models and inference to its site ({@code docs/gateways.md}).
 *
 * @param upstream the coordinator's edge endpoint, {@code https://HOST:PORT/edge-model}
 * @param coordinatorKey the coordinator's model key: every relayed file is checked against it
 * @param upstreamTls trusts the federation's authority for {@code upstream}; null for plain HTTP
 * @param serverTls the gateway's certificate for its own endpoint; null for plain HTTP
 * @param bind where devices reach the endpoint
 * @param threads the pool that relays and infers
 * @param refresh how often the gateway asks for a newer stable model for its own inference
 * @param maxConnections the most device connections open at once; more are answered {@code 503}
 *     (plain HTTP) or closed (TLS) before any other work
 */
public record GatewayEdge(URI upstream, PublicKey coordinatorKey, javax.net.ssl.SSLContext upstreamTls,
                          SslContext serverTls, InetSocketAddress bind, int threads, Duration refresh,
                          int maxConnections) {
    /** The default of {@code maxConnections}. */
    public static final int DEFAULT_MAX_CONNECTIONS = 4096;

    public GatewayEdge {
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(bind, "bind");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
        }
        if (refresh.isNegative() || refresh.isZero()) {
            throw new IllegalArgumentException("refresh must be positive: " + refresh);
        }
    }
}
