package io.fedge.simulation;

import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.TlsContexts;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A certificate authority, a coordinator certificate for 127.0.0.1, a model-signing key and one
 * certificate per virtual client, in a temporary folder, for a simulation that runs over mutual TLS the way a
 * deployment does. Deleted when the simulation ends.
 */
final class ThrowawayPki {
    private final CertificateDirectory dir;

    private ThrowawayPki(CertificateDirectory dir) {
        this.dir = dir;
    }

    /** Issues certificates for clients {@code String.format(idFormat, k)}, k in [0, clients). */
    static ThrowawayPki create(int clients, String idFormat) throws IOException {
        return create(clients, idFormat, null);
    }

    /**
     * As {@link #create(int, String)}, the coordinator's certificate naming {@code host} too (the
     * address an engine's hosts reach it at), unless null.
     */
    static ThrowawayPki create(int clients, String idFormat, String host) throws IOException {
        CertificateDirectory dir = new CertificateDirectory(Files.createTempDirectory("fedge-sim-pki"));
        CertificateAuthority ca = dir.createAuthority("fedge-simulation-ca", Duration.ofDays(1), Clock.systemUTC());
        java.util.Set<String> names = new java.util.LinkedHashSet<>(List.of("127.0.0.1", "localhost"));
        if (host != null) {
            names.add(host);
        }
        dir.issueServer(ca, List.copyOf(names), Duration.ofDays(1));
        dir.createModelSigningKey();
        for (int k = 0; k < clients; k++) {
            dir.issueClient(ca, String.format(idFormat, k), Duration.ofDays(1));
        }
        return new ThrowawayPki(dir);
    }

    SslContext server() throws IOException {
        return TlsContexts.server(dir, TlsContexts.provider());
    }

    PrivateKey modelSigningKey() throws IOException {
        return dir.loadModelSigningKey();
    }

    PublicKey modelVerifyingKey() throws IOException {
        return dir.loadModelVerifyingKey();
    }

    /** Client {@code id}'s certificate identity for secure aggregation. */
    io.fedge.comm.secagg.SecAggIdentity identity(String id) throws IOException {
        return new io.fedge.comm.secagg.SecAggIdentity(dir.loadClient(id), dir.loadCaCertificate());
    }

    /** The CA and model-signing key, for an engine's hosts. */
    io.fedge.simulation.engine.HostTrust hostTrust() throws IOException {
        return io.fedge.simulation.engine.HostTrust.of(dir.loadCaCertificate(), dir.loadModelVerifyingKey());
    }

    /** Client {@code id}'s certificate and key, for an engine's host. */
    io.fedge.simulation.engine.HostTrust.ClientKeys clientKeys(String id) throws IOException {
        return io.fedge.simulation.engine.HostTrust.ClientKeys.of(dir.loadClient(id));
    }

    SslContext client(String id) throws IOException {
        return TlsContexts.client(dir, id, TlsContexts.provider());
    }

    void delete() {
        try (Stream<Path> files = Files.walk(dir.dir())) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir.dir(), e);
        }
    }
}
