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
    }

    private InetSocketAddress listenAddress() {
        InetSocketAddress a = CoordinatorAddress.parse("--listen", listen);
        return new InetSocketAddress(a.getHostString(), a.getPort());
    }

    @Override
    public Integer call() throws Exception {
        SiteServer.Builder site = SiteServer.builder().name(id).bind(listenAddress())
                .deviceCodec(deviceCodec).selection(fraction, minDevices, minDevices).maxConnections(maxDevices);
        if (secureAggregation) {
            site.secureAggregation(SecureAggregation.defaults());
        }
        SslContext upstreamTls = null;
        PublicKey coordinatorKey = null;
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
        } else {
            security.client(id); // prints the --insecure warning
        }
        SslContext tls = upstreamTls;
        PublicKey pinned = coordinatorKey;
        SiteServer server = site.build();
        try (Gateway gateway = Gateway.start(server, b -> {
            FederatedClient.Builder up = coordinator.applyTo(b.clientId(id));
            if (tls != null) {
                up.tls(tls).trustedModelKey(pinned);
            }
            return giveUp.applyTo(up);
        }, minDevices)) {
            spec.commandLine().getOut().printf("gateway %s: devices connect to %s; upstream %s once %d device%s "
                            + "registered%n", id, server.localAddress(), coordinator, minDevices,
                    minDevices == 1 ? " has" : "s have");
            gateway.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
            ClientEnding end = gateway.ending().orElse(null);
            if (end != null && end.kind() == ClientEnding.Kind.FINISHED) {
                spec.commandLine().getOut().printf("gateway %s: federation over after %d partial aggregates "
                        + "(%d accepted)%n", id, gateway.upstream().updatesSent(), gateway.upstream().updatesAccepted());
                return 0;
            }
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + id + ": "
                    + (end == null ? "stopped" : end.reason()));
            return CliErrors.FAILED;
        }
    }
}
