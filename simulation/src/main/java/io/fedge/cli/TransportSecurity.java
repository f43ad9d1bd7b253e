package io.fedge.cli;

import io.fedge.client.FederatedClient;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.RevocationList;
import io.fedge.comm.tls.TlsContexts;
import io.netty.handler.ssl.SslContext;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;

/**
 * The {@code --certs} and {@code --insecure} options that {@code fedge coordinator},
 * {@code fedge client} and {@code fedge swarm} share: mutual TLS from a folder made by
 * {@code fedge certs}, on unless {@code --insecure} says otherwise.
 */
final class TransportSecurity {
    @Option(names = "--certs", description = "folder made by 'fedge certs' (ca.crt, ca.crl, server.crt/.key, "
            + "clients/ID.crt/.key); default ${DEFAULT-VALUE}")
    Path certs = Path.of("certs");

    @Option(names = "--insecure", description = "plain TCP without TLS or client authentication: for local "
            + "experiments only")
    boolean insecure;

    private boolean warned;
    private RevocationList revocations;

    /**
     * The coordinator's TLS context, or null with {@code --insecure}. Its revocation list, polled
     * every second, is {@link #revocationList()}.
     */
    SslContext server() throws IOException {
        if (warnIfInsecure()) {
            return null;
        }
        CertificateDirectory dir = directory(List.of("ca.crt", "ca.crl", "server.crt", "server.key"));
        revocations = RevocationList.watch(dir.loadCaCertificate(), dir.revocationList(),
                RevocationList.DEFAULT_POLL_INTERVAL);
        return TlsContexts.server(dir, TlsContexts.provider(), revocations);
    }

    /** The revocation list {@link #server()}'s context checks clients against; null before it or with {@code --insecure}. */
    RevocationList revocationList() {
        return revocations;
    }

    /** The edge model endpoint's context: the coordinator's certificate, no client authentication; null with {@code --insecure}. */
    SslContext edgeServer() throws IOException {
        if (insecure) {
            return null;
        }
        return TlsContexts.serverWithoutClientAuth(directory(List.of("server.crt", "server.key")), TlsContexts.provider());
    }

    /** The coordinator's model-signing key ({@code model-signing.key}), or null with {@code --insecure}. */
    PrivateKey modelSigningKey() throws IOException {
        return insecure ? null : directory(List.of("model-signing.key")).loadModelSigningKey();
    }

    /** The coordinator's public model key a client pins ({@code model-signing.pub}), or null with {@code --insecure}. */
    PublicKey pinnedModelKey() throws IOException {
        return insecure ? null : directory(List.of("model-signing.pub")).loadModelVerifyingKey();
    }

    /**
     * Sets up {@code builder} for client {@code clientId}: its TLS context and the coordinator's
     * pinned model key; nothing with {@code --insecure}.
     */
    FederatedClient.Builder applyTo(FederatedClient.Builder builder, String clientId) throws IOException {
        return applyTo(builder, clientId, null);
    }

    /**
     * As {@link #applyTo(FederatedClient.Builder, String)}, pinning {@code modelKey} (a gateway's,
     * for a device behind one) instead of the coordinator's when it is not null.
     */
    FederatedClient.Builder applyTo(FederatedClient.Builder builder, String clientId, Path modelKey) throws IOException {
        SslContext tls = client(clientId);
        if (tls == null) {
            return builder;
        }
        CertificateDirectory dir = directory(List.of("ca.crt"));
        PublicKey pinned;
        if (modelKey == null) {
            pinned = pinnedModelKey();
        } else if (!Files.isRegularFile(modelKey)) {
            throw new IllegalArgumentException("no " + modelKey + ": --model-key names the model-signing public key "
                    + "of the coordinator or gateway this client connects to (fedge certs gateway writes "
                    + "gateways/ID-model-signing.pub)");
        } else {
            pinned = CertificateDirectory.readVerifyingKey(modelKey);
        }
        return builder.tls(tls).trustedModelKey(pinned).secureAggregationIdentity(
                new io.fedge.comm.secagg.SecAggIdentity(dir.loadClient(clientId), dir.loadCaCertificate()));
    }

    /** A client's TLS context, or null with {@code --insecure}. */
    SslContext client(String clientId) throws IOException {
        if (warnIfInsecure()) {
            return null;
        }
        CertificateDirectory dir = directory(List.of("ca.crt", "clients/" + clientId + ".crt",
                "clients/" + clientId + ".key"));
        return TlsContexts.client(dir, clientId, TlsContexts.provider());
    }

    private boolean warnIfInsecure() {
        if (insecure && !warned) {
            warned = true;
            System.err.println("""
                    **********************************************************************
                    WARNING: --insecure: no TLS, no client authentication. Anyone on the
                    network can read the updates, impersonate clients and poison the model.
                    Use it for local experiments only.
                    **********************************************************************""");
        }
        return insecure;
    }

    private CertificateDirectory directory(List<String> needed) {
        for (String f : needed) {
            if (!Files.isRegularFile(certs.resolve(f))) {
                throw new IllegalArgumentException("no " + certs.resolve(f) + ": create the certificates with\n"
                        + "  ./fedge certs init --dir " + certs + " --names HOST[,ADDRESS...]\n"
                        + "  ./fedge certs client --dir " + certs + " --id CLIENT_ID\n"
                        + "or pass --insecure for a local experiment without TLS");
            }
        }
        return new CertificateDirectory(certs);
    }
}
