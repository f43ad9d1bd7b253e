package io.fedge.cli;

import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import io.fedge.comm.tls.RevocationList;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.coordinator.SecureAggregation;
import io.fedge.coordinator.SiteServer;
import io.fedge.gateway.Gateway;
import io.netty.handler.ssl.SslContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code fedge gateway}: an edge gateway between a site's devices and the coordinator
 * (docs/gateways.md).
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = {"Run an edge gateway: devices connect to --listen as they would to the coordinator (fedge "
                + "client --coordinator THIS --model-key certs/gateways/ID-model-signing.pub); upstream it is one "
                + "client of --coordinator, with the gateway certificate from 'fedge certs gateway'. Each round it "
                + "downloads the model once, runs the round among its devices, and sends one partial aggregate up. "
                + "Exits 0 when the federation finished, 1 with the reason when the coordinator refused it."})
final class GatewayCommand implements Callable<Integer>, OptionChecks.Validated {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--id", required = true, description = "the gateway's id: its certificate's name, its client id upstream")
    String id;

    @picocli.CommandLine.Mixin
    CoordinatorAddress coordinator = new CoordinatorAddress();

    @Option(names = "--listen", description = "host:port its devices connect to; default ${DEFAULT-VALUE}")
    String listen = "0.0.0.0:7071";

    @Option(names = "--device-codec", description = "the codec its devices encode updates with (upstream, the "
            + "coordinator chooses); default ${DEFAULT-VALUE}")
    String deviceCodec = "fp32";

    @Option(names = "--fraction", description = "the fraction of its connected devices a round selects; default "
            + "${DEFAULT-VALUE}")
    double fraction = 1.0;

    @Option(names = "--min-devices", description = "devices registered before it registers upstream, selected and "
            + "accepted per round at least; default ${DEFAULT-VALUE}")
    int minDevices = 1;

    @Option(names = "--max-devices", description = "the most devices connected at once; default ${DEFAULT-VALUE}")
    int maxDevices = 10_000;

    @Option(names = "--secure-aggregation", description = "its devices mask their updates among themselves: the "
            + "gateway learns only their sum (needs --min-devices 3 or more)")
    boolean secureAggregation;

    @Option(names = "--edge-upstream", description = "the coordinator's edge model endpoint (its --edge-every "
            + "publishing), e.g. https://HOST:7071/edge-model: the gateway then relays edge models and telemetry for "
            + "its inference-only devices and answers POST /infer with the newest stable one (docs/gateways.md)")
    java.net.URI edgeUpstream;

    @Option(names = "--edge-listen", description = "with --edge-upstream: host:port of the gateway's edge endpoint; "
            + "default ${DEFAULT-VALUE}")
    String edgeListen = "0.0.0.0:7073";

    @Option(names = "--edge-threads", description = "with --edge-upstream: threads that relay and infer; default "
            + "the number of cores")
    int edgeThreads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--edge-refresh", description = "with --edge-upstream: seconds between the gateway's checks for a "
            + "newer stable edge model for its own inference; default ${DEFAULT-VALUE}")
    int edgeRefresh = 60;

    @Option(names = "--edge-max-connections", description = "with --edge-upstream: the most device connections to "
            + "the edge endpoint open at once; more are answered 503; default ${DEFAULT-VALUE}")
    int edgeMaxConnections = io.fedge.gateway.GatewayEdge.DEFAULT_MAX_CONNECTIONS;

    @picocli.CommandLine.Mixin
    TransportSecurity security = new TransportSecurity();

    @picocli.CommandLine.Mixin
    GiveUpOption giveUp = new GiveUpOption();

    @Override
    public void validate() {
        if (!io.fedge.comm.tls.CertificateAuthority.CLIENT_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("--id must be 1-64 letters, digits or ._- starting with a letter or "
                    + "digit: '" + id + "'");
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--fraction must be in (0, 1], not " + fraction);
        }
        OptionChecks.atLeast("--min-devices", minDevices, 1);
        OptionChecks.atLeast("--max-devices", maxDevices, 1);
        if (secureAggregation) {
            OptionChecks.atLeast("--min-devices", minDevices, 3);
        }
        CoordinatorAddress.parse("--listen", listen);
        CoordinatorAddress.parse("--edge-listen", edgeListen);
        OptionChecks.between("--edge-threads", edgeThreads, 1, 256);
        OptionChecks.between("--edge-refresh", edgeRefresh, 1, 86_400);
        OptionChecks.between("--edge-max-connections", edgeMaxConnections, 1, 1_000_000);
        if (edgeUpstream != null) {
            String scheme = String.valueOf(edgeUpstream.getScheme());
            if (!(scheme.equals("http") || scheme.equals("https")) || edgeUpstream.getHost() == null) {
                throw new IllegalArgumentException("--edge-upstream must be an http(s)://HOST:PORT/edge-model URL, "
                        + "not " + edgeUpstream);
            }
            if (scheme.equals("http") && !security.insecure) {
                throw new IllegalArgumentException("--edge-upstream must be https:// with TLS (the coordinator serves "
                        + "edge models over TLS unless --insecure)");
            }
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    private static InetSocketAddress bindAddress(String option, String value) {
        InetSocketAddress a = CoordinatorAddress.parse(option, value);
        return new InetSocketAddress(a.getHostString(), a.getPort());
    }

    @Override
    public Integer call() throws Exception {
        SiteServer.Builder site = SiteServer.builder().name(id).bind(bindAddress("--listen", listen))
                .deviceCodec(deviceCodec).selection(fraction, minDevices, minDevices).maxConnections(maxDevices);
        if (secureAggregation) {
            site.secureAggregation(SecureAggregation.defaults());
        }
        SslContext upstreamTls = null;
        PublicKey coordinatorKey = null;
        javax.net.ssl.SSLContext edgeUpstreamTls = null;
        SslContext edgeServerTls = null;
        if (!security.insecure) {
            Path certs = security.certs;
            for (String f : List.of("ca.crt", "ca.crl", "model-signing.pub", "gateways/" + id + ".crt",
                    "gateways/" + id + ".key", "gateways/" + id + "-model-signing.key")) {
                if (!Files.isRegularFile(certs.resolve(f))) {
                    throw new IllegalArgumentException("no " + certs.resolve(f) + ": issue the gateway's certificate "
                            + "with\n  ./fedge certs gateway --dir " + certs + " --id " + id + " --names HOST[,ADDRESS...]"
                            + "\nor pass --insecure for a local experiment without TLS");
                }
            }
            CertificateDirectory dir = new CertificateDirectory(certs);
            Credentials credentials = dir.loadGateway(id);
            RevocationList crl = RevocationList.watch(dir.loadCaCertificate(), dir.revocationList(),
                    RevocationList.DEFAULT_POLL_INTERVAL);
            PrivateKey signing = dir.loadGatewaySigningKey(id);
            site.tls(TlsContexts.server(credentials, dir.loadCaCertificate(), TlsContexts.provider(), crl))
                    .revocationList(crl).modelSigningKey(signing);
            upstreamTls = TlsContexts.client(credentials, dir.loadCaCertificate(), TlsContexts.provider());
            coordinatorKey = dir.loadModelVerifyingKey();
            edgeUpstreamTls = io.fedge.edge.EdgeModelFetcher.trusting(dir.loadCaCertificate());
            edgeServerTls = TlsContexts.serverWithoutClientAuth(credentials, TlsContexts.provider());
        } else {
            security.client(id); // prints the --insecure warning
        }
        SslContext tls = upstreamTls;
        PublicKey pinned = coordinatorKey;
        SiteServer server = site.build();
        io.fedge.gateway.GatewayEdge edge = edgeUpstream == null ? null : new io.fedge.gateway.GatewayEdge(
                edgeUpstream, coordinatorKey, edgeUpstreamTls, edgeServerTls, bindAddress("--edge-listen", edgeListen),
                edgeThreads, java.time.Duration.ofSeconds(edgeRefresh), edgeMaxConnections);
        try (Gateway gateway = Gateway.start(server, b -> {
            FederatedClient.Builder up = coordinator.applyTo(b.clientId(id));
            if (tls != null) {
                up.tls(tls).trustedModelKey(pinned);
            }
            return giveUp.applyTo(up);
        }, minDevices, edge)) {
            spec.commandLine().getOut().printf("gateway %s: devices connect to %s; upstream %s once %d device%s "
                            + "registered%n", id, server.localAddress(), coordinator, minDevices,
                    minDevices == 1 ? " has" : "s have");
            if (gateway.edgeAddress() != null) {
                spec.commandLine().getOut().printf("gateway %s: edge models and inference at %s://%s/ (relaying %s)%n",
                        id, edgeServerTls == null ? "http" : "https", hostPort(gateway.edgeAddress()), edgeUpstream);
            }
            gateway.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
            ClientEnding end = gateway.ending().orElse(null);
            if (end != null && end.kind() == ClientEnding.Kind.FINISHED) {
                spec.commandLine().getOut().printf("gateway %s: federation over after %d partial aggregates "
                        + "(%d accepted)%n", id, gateway.upstream().updatesSent(), gateway.upstream().updatesAccepted());
                if (gateway.edgeAddress() != null) {
                    // a site's inference outlives the training: serve until stopped
                    spec.commandLine().getOut().printf("gateway %s: still serving edge models and inference at %s "
                            + "until stopped (SIGTERM or Ctrl-C)%n", id, hostPort(gateway.edgeAddress()));
                    CountDownLatch stopped = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        gateway.close();
                        stopped.countDown();
                    }, "fedge-gateway-stop"));
                    stopped.await();
                }
                return 0;
            }
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + id + ": "
                    + (end == null ? "stopped" : end.reason()));
            return CliErrors.FAILED;
        }
    }
}
