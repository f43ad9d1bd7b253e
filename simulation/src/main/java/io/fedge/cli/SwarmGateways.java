package io.fedge.cli;

import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.comm.tls.RevocationList;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.coordinator.SiteServer;
import io.fedge.gateway.Gateway;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code fedge swarm --gateways G}: G gateways in the swarm's process, each between its share of
 * the swarm's clients and the coordinator. Gateway {@code g} (counted from the swarm's offset) is
 * {@code swarm-gw-NNN}; under mutual TLS it needs {@code fedge certs gateway --id swarm-gw-NNN
 * --names 127.0.0.1}, and its clients pin its model key.
 */
final class SwarmGateways implements AutoCloseable {
    private final int count;
    private final int clients;
    private final int first;
    private final TransportSecurity security;
    private final CoordinatorAddress coordinator;
    private final GiveUpOption giveUp;
    private final EventLoopGroup io;
    private final List<Gateway> gateways = new ArrayList<>();
    private final List<java.nio.file.Path> keys = new ArrayList<>();

    SwarmGateways(int count, int clients, int offset, TransportSecurity security, CoordinatorAddress coordinator,
                  GiveUpOption giveUp, EventLoopGroup io) {
        this.count = count;
        this.clients = clients;
        this.first = count == 0 ? 0 : offset / (clients / count);
        this.security = security;
        this.coordinator = coordinator;
        this.giveUp = giveUp;
        this.io = io;
    }

    /** Which of this process's gateways client {@code j} (of this process's) goes through. */
    private int gatewayOf(int j) {
        return (int) ((long) j * count / clients);
    }

    private int devicesOf(int g) {
        int n = 0;
        for (int j = 0; j < clients; j++) {
            n += gatewayOf(j) == g ? 1 : 0;
        }
        return n;
    }

    void start() throws IOException, InterruptedException {
        for (int g = 0; g < count; g++) {
            String id = String.format("swarm-gw-%03d", first + g);
            SiteServer.Builder site = SiteServer.builder().name(id).bind(new InetSocketAddress("127.0.0.1", 0))
                    .ioThreads(1).selection(1.0, devicesOf(g), devicesOf(g)).maxConnections(devicesOf(g) + 16);
            SslContext upstream = null;
            PublicKey coordinatorKey = null;
            java.nio.file.Path own = null;
            if (!security.insecure) {
                CertificateDirectory dir = new CertificateDirectory(security.certs);
                if (!Files.isRegularFile(dir.gatewayCertificate(id))) {
                    throw new IllegalArgumentException("no " + dir.gatewayCertificate(id) + ": issue it with\n  ./fedge "
                            + "certs gateway --dir " + security.certs + " --id " + id + " --names 127.0.0.1");
                }
                Credentials c = dir.loadGateway(id);
                RevocationList crl = RevocationList.watch(dir.loadCaCertificate(), dir.revocationList(),
                        RevocationList.DEFAULT_POLL_INTERVAL);
                site.tls(TlsContexts.server(c, dir.loadCaCertificate(), TlsContexts.provider(), crl))
                        .revocationList(crl).modelSigningKey(dir.loadGatewaySigningKey(id));
                upstream = TlsContexts.client(c, dir.loadCaCertificate(), TlsContexts.provider());
                coordinatorKey = dir.loadModelVerifyingKey();
                own = dir.gatewayVerifyingKey(id);
            }
            SslContext tls = upstream;
            PublicKey pinned = coordinatorKey;
            gateways.add(Gateway.start(site.build(), b -> {
                FederatedClient.Builder up = coordinator.applyTo(b.clientId(id)).eventLoopGroup(io);
                if (tls != null) {
                    up.tls(tls).trustedModelKey(pinned);
                }
                return giveUp.applyTo(up);
            }, devicesOf(g)));
            keys.add(own);
        }
    }

    /** Points client {@code j} (of this process's) at its gateway, or at the coordinator without gateways. */
    void connect(FederatedClient.Builder b, int j, String id) throws IOException {
        if (count == 0) {
            coordinator.applyTo(b);
            security.applyTo(b, id);
            return;
        }
        int g = gatewayOf(j);
        InetSocketAddress at = gateways.get(g).site().localAddress();
        b.coordinator(at.getHostString(), at.getPort());
        security.applyTo(b, id, keys.get(g));
    }

    /** Waits for the gateways to end and prints what they sent upstream and received from their devices. */
    void awaitAndReport(PrintWriter out) throws InterruptedException {
        if (count == 0) {
            return;
        }
        int finished = 0;
        long sent = 0;
        long fromDevices = 0;
        for (Gateway g : gateways) {
            g.awaitTermination(1, TimeUnit.MINUTES);
            finished += g.ending().map(e -> e.kind() == ClientEnding.Kind.FINISHED).orElse(false) ? 1 : 0;
            sent += g.upstream().updatesSent();
            fromDevices += g.site().bytesFromDevices();
        }
        out.printf("swarm: %d gateways ended, %d finished; %d partial aggregates sent upstream; %.1f MB received "
                + "from their devices%n", count, finished, sent, fromDevices / 1e6);
    }

    @Override
    public void close() {
        for (Gateway g : gateways) {
            g.close();
        }
    }
}
