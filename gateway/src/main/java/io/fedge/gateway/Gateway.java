package io.fedge.gateway;

import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.coordinator.SiteServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An edge gateway: downstream a {@link SiteServer} its site's devices connect to as they would to
 * the coordinator, upstream a {@link FederatedClient} of the coordinator whose work is the site's
 * rounds ({@link SiteWork}). The model comes down once per version for the whole site; one partial
 * aggregate per round goes up. The gateway registers upstream once {@code minDevices} devices have
 * registered with it (so a coordinator never selects an empty site), and declares their examples.
 * When the upstream federation ends, the gateway ends its site too (its devices get the Bye).
 *
 * <pre>{@code
 * Gateway g = Gateway.start(site, upstream -> upstream
 *         .coordinator(new InetSocketAddress("coordinator", 7070))
 *         .clientId("shop-12").tls(gatewayClientContext).trustedModelKey(coordinatorKey), 1);
 * g.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
 * }</pre>
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final SiteServer site;
    private final FederatedClient upstream;
    private final Thread registration;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile boolean closed;
    private SiteEdgeServer edge;
    private EdgeRelay edgeRelay;
    private java.net.InetSocketAddress edgeAddress;

    private Gateway(SiteServer site, FederatedClient upstream, int minDevices) {
        this.site = site;
        this.upstream = upstream;
        this.registration = new Thread(() -> register(minDevices), "fedge-gateway-upstream");
        registration.setDaemon(true);
    }

    /**
     * Starts the site server, then (on a thread of its own) the upstream client once
     * {@code minDevices} devices registered.
     *
     * @param upstream sets up the upstream client (coordinator, id, TLS, model key, codecs); its
     *        work is set here
     */
    public static Gateway start(SiteServer site, Function<FederatedClient.Builder, FederatedClient.Builder> upstream,
                                int minDevices) throws InterruptedException {
        return start(site, upstream, minDevices, null);
    }

    /**
     * As {@link #start(SiteServer, Function, int)}, and with {@code edge} not null also serves the
     * coordinator's edge models and inference to the site ({@link #edgeAddress()}).
     */
    public static Gateway start(SiteServer site, Function<FederatedClient.Builder, FederatedClient.Builder> upstream,
                                int minDevices, GatewayEdge edge) throws InterruptedException {
        Objects.requireNonNull(site, "site");
        if (minDevices < 1) {
            throw new IllegalArgumentException("minDevices must be at least 1: " + minDevices);
        }
        FederatedClient client = upstream.apply(FederatedClient.builder().work(new SiteWork(site))).build();
        site.start();
        Gateway g = new Gateway(site, client, minDevices);
        if (edge != null) {
            EdgeRelay relay = new EdgeRelay(edge.upstream(), edge.coordinatorKey(),
                    io.fedge.edge.EdgeModelFetcher.client(edge.upstreamTls()));
            g.edge = new SiteEdgeServer(relay, edge.serverTls(), edge.bind(), edge.threads(), edge.refresh(),
                    edge.maxConnections());
            g.edgeRelay = relay;
            g.edgeAddress = g.edge.start();
        }
        g.registration.start();
        return g;
    }

    private void register(int minDevices) {
        try {
            while (!closed && !site.awaitDevices(minDevices, 10, TimeUnit.SECONDS)) {
                log.info("gateway waiting for devices: {} of {} registered", site.connectedDevices(), minDevices);
            }
            if (closed) {
                return;
            }
            log.info("gateway: {} devices registered, connecting upstream", site.connectedDevices());
            upstream.start();
            upstream.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
            upstream.ending().ifPresent(e -> log.info("gateway: upstream ended ({}): {}", e.kind(), e.reason()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (upstream.ending().map(e -> e.kind() == ClientEnding.Kind.FINISHED).orElse(false)) {
                site.finish(); // the devices stop too
            } else {
                site.close();
            }
            ended.countDown();
        }
    }

    /** Where the site's edge endpoint listens, or null without one. */
    public java.net.InetSocketAddress edgeAddress() {
        return edgeAddress;
    }

    /** Bytes of edge model files this gateway downloaded from the coordinator (0 without an edge endpoint). */
    public long edgeBytesFromCoordinator() {
        return edgeRelay == null ? 0 : edgeRelay.upstreamBytes();
    }

    /** Inference requests the site's edge endpoint answered. */
    public int inferencesServed() {
        return edge == null ? 0 : edge.inferences();
    }

    /** The devices' server. */
    public SiteServer site() {
        return site;
    }

    /** The upstream client. */
    public FederatedClient upstream() {
        return upstream;
    }

    /** How the upstream connection ended, once it has. */
    public Optional<ClientEnding> ending() {
        return upstream.ending();
    }

    /** Waits until the gateway has ended (the federation is over, or it was closed). */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return ended.await(timeout, unit);
    }

    @Override
    public void close() {
        closed = true;
        upstream.close();
        registration.interrupt();
        site.close();
        if (edge != null) {
            edge.close();
        }
        try {
            ended.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
