package io.fedge.cli;

import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.comm.tls.Credentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code fedge certs}: fedge's own certificate authority, for mutual TLS between the coordinator
 * and its clients.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = {"Create a certificate authority and issue the coordinator's and the clients' certificates; "
                + "revoke clients or the coordinator. Both sides re-read the revocation list at every handshake."},
        subcommands = {CertsCommand.Init.class, CertsCommand.Server.class, CertsCommand.Client.class, CertsCommand.Admin.class,
                CertsCommand.Gateway.class, CertsCommand.Revoke.class})
final class CertsCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("fedge certs: choose init, server, client, admin, gateway or revoke (fedge certs --help)");
    }

    static final class Folder {
        @Option(names = "--dir", description = "certificate folder; default ${DEFAULT-VALUE}")
        Path dir = Path.of("certs");

        CertificateDirectory directory() {
            return new CertificateDirectory(dir);
        }
    }

    private static void printIssued(String what, Path file, Credentials c) {
        System.out.printf("%s: %s (serial %s, valid until %s)%n", what, file,
                c.certificate().getSerialNumber().toString(16), c.certificate().getNotAfter().toInstant());
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the authority (ca.crt, ca.key, empty ca.crl), the coordinator's certificate and "
                    + "its Ed25519 model-signing key (model-signing.key, model-signing.pub).")
    static final class Init implements Callable<Integer>, OptionChecks.Validated {
        @picocli.CommandLine.Mixin
        Folder folder = new Folder();

        @Option(names = "--name", description = "the authority's name; default ${DEFAULT-VALUE}")
        String name = "fedge-ca";

        @Option(names = "--days", description = "the authority's validity in days; default ${DEFAULT-VALUE}")
        int days = 3650;

        @Option(names = "--names", split = ",", description = "the coordinator's host names and IP addresses, as "
                + "clients dial them; default ${DEFAULT-VALUE}")
        List<String> names = List.of("localhost", "127.0.0.1");

        @Option(names = "--server-days", description = "the coordinator certificate's validity; default ${DEFAULT-VALUE}")
        int serverDays = 825;

        @Override
        public void validate() {
            OptionChecks.atLeast("--days", days, 1);
            OptionChecks.atLeast("--server-days", serverDays, 1);
        }

        @Override
        public Integer call() throws Exception {
            CertificateDirectory dir = folder.directory();
            CertificateAuthority ca = dir.createAuthority(name, Duration.ofDays(days), Clock.systemUTC());
            printIssued("authority", dir.caCertificate(), ca.credentials());
            printIssued("coordinator " + names, dir.serverCertificate(),
                    dir.issueServer(ca, names, Duration.ofDays(serverDays)));
            dir.createModelSigningKey();
            System.out.printf("model signing: %s (coordinator), %s (clients pin it)%n", dir.modelSigningKey(),
                    dir.modelVerifyingKey());
            System.out.println("keep " + dir.caKey() + " away from the coordinator and the devices");
            return 0;
        }
    }

    @Command(name = "server", mixinStandardHelpOptions = true,
            description = "Issue a new certificate for the coordinator (server.crt, server.key).")
    static final class Server implements Callable<Integer>, OptionChecks.Validated {
        @picocli.CommandLine.Mixin
        Folder folder = new Folder();

        @Option(names = "--names", split = ",", required = true, description = "host names and IP addresses")
        List<String> names;

        @Option(names = "--days", description = "validity in days; default ${DEFAULT-VALUE}")
        int days = 825;

        @Override
        public void validate() {
            OptionChecks.atLeast("--days", days, 1);
        }

        @Override
        public Integer call() throws Exception {
            CertificateDirectory dir = folder.directory();
            CertificateAuthority ca = dir.authority(Clock.systemUTC());
            printIssued("coordinator " + names, dir.serverCertificate(), dir.issueServer(ca, names, Duration.ofDays(days)));
            return 0;
        }
    }

    @Command(name = "client", mixinStandardHelpOptions = true,
            description = "Issue client certificates (clients/ID.crt, clients/ID.key); the id is the certificate's "
                    + "common name and the only id the client may register as.")
    static final class Client implements Callable<Integer>, OptionChecks.Validated {
        @picocli.CommandLine.Mixin
        Folder folder = new Folder();

        @Option(names = "--id", required = true, description = "client id; repeat for several")
        List<String> ids;

        @Option(names = "--days", description = "validity in days; default ${DEFAULT-VALUE}")
        int days = 365;

        @Override
        public void validate() {
            OptionChecks.atLeast("--days", days, 1);
        }

        @Override
        public Integer call() throws Exception {
            CertificateDirectory dir = folder.directory();
            CertificateAuthority ca = dir.authority(Clock.systemUTC());
            for (String id : ids) {
                printIssued("client " + id, dir.clientCertificate(id), dir.issueClient(ca, id, Duration.ofDays(days)));
            }
            return 0;
        }
    }

    @Command(name = "admin", mixinStandardHelpOptions = true,
            description = "Issue an administrator's certificate (admins/NAME.crt, admins/NAME.key): the only kind the "
                    + "coordinator's admin API and dashboard take (fedge models promote|rollback, the browser).")
    static final class Admin implements Callable<Integer>, OptionChecks.Validated {
        @picocli.CommandLine.Mixin
        Folder folder = new Folder();

        @Option(names = "--name", description = "the administrator's name (the certificate's common name); default "
                + "${DEFAULT-VALUE}")
        String name = "admin";

        @Option(names = "--days", description = "validity in days; default ${DEFAULT-VALUE}")
        int days = 90;

        @Override
        public void validate() {
            OptionChecks.atLeast("--days", days, 1);
        }

        @Override
        public Integer call() throws Exception {
            CertificateDirectory dir = folder.directory();
            CertificateAuthority ca = dir.authority(Clock.systemUTC());
            printIssued("administrator " + name, dir.adminCertificate(name),
                    dir.issueAdmin(ca, name, Duration.ofDays(days)));
            return 0;
        }
    }

    @Command(name = "gateway", mixinStandardHelpOptions = true,
            description = "Issue a gateway's certificate (gateways/ID.crt, gateways/ID.key: its id upstream, the host "
                    + "names its devices dial, and the gateway key purpose the coordinator requires of aggregated "
                    + "updates) and its own model-signing key pair (gateways/ID-model-signing.key, .pub: its devices "
                    + "pin the .pub with fedge client --model-key).")
    static final class Gateway implements Callable<Integer>, OptionChecks.Validated {
        @picocli.CommandLine.Mixin
        Folder folder = new Folder();

        @Option(names = "--id", required = true, description = "the gateway's id (its client id upstream)")
        String id;

        @Option(names = "--names", split = ",", required = true, description = "the host names and IP addresses "
                + "its devices dial")
        List<String> names;

        @Option(names = "--days", description = "validity in days; default ${DEFAULT-VALUE}")
        int days = 365;

        @Override
        public void validate() {
            OptionChecks.atLeast("--days", days, 1);
            if (!CertificateAuthority.CLIENT_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("--id must be 1-64 letters, digits or ._- starting with a letter "
                        + "or digit: '" + id + "'");
            }
        }

        @Override
        public Integer call() throws Exception {
            CertificateDirectory dir = folder.directory();
            CertificateAuthority ca = dir.authority(Clock.systemUTC());
            printIssued("gateway " + id + " " + names, dir.gatewayCertificate(id),
                    dir.issueGateway(ca, id, names, Duration.ofDays(days)));
            System.out.printf("model signing: %s (the gateway), %s (its devices pin it)%n", dir.gatewaySigningKey(id),
                    dir.gatewayVerifyingKey(id));
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Add clients' certificates, or the coordinator's, to the revocation list (ca.crl). A running "
                    + "coordinator refuses revoked clients from their next handshake on; clients whose certificate "
                    + "folder holds the new ca.crl refuse a revoked coordinator.")
    static final class Revoke implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Folder folder = new Folder();

        @Option(names = "--id", description = "client id; repeat for several")
        List<String> ids = List.of();

        @Option(names = "--admin", description = "administrator name (admins/NAME.crt); repeat for several")
        List<String> admins = List.of();

        @Option(names = "--gateway", description = "gateway id (gateways/ID.crt); repeat for several")
        List<String> gateways = List.of();

        @Option(names = "--coordinator", description = "revoke the coordinator's certificate (server.crt); issue a "
                + "new one with 'fedge certs server' and give clients the new ca.crl")
        boolean coordinator;

        @Override
        public Integer call() throws Exception {
            if (ids.isEmpty() && admins.isEmpty() && gateways.isEmpty() && !coordinator) {
                throw new IllegalArgumentException("name at least one --id, --admin, --gateway or --coordinator");
            }
            CertificateDirectory dir = folder.directory();
            CertificateAuthority ca = dir.authority(Clock.systemUTC());
            if (coordinator) {
                BigInteger serial = dir.revokeServer(ca);
                System.out.printf("revoked the coordinator's certificate (serial %s) in %s%n", serial.toString(16),
                        dir.revocationList());
            }
            for (String id : ids) {
                BigInteger serial = dir.revokeClient(ca, id);
                System.out.printf("revoked client %s (serial %s) in %s%n", id, serial.toString(16), dir.revocationList());
            }
            for (String gateway : gateways) {
                BigInteger serial = dir.revokeGateway(ca, gateway);
                System.out.printf("revoked gateway %s (serial %s) in %s%n", gateway, serial.toString(16),
                        dir.revocationList());
            }
            for (String admin : admins) {
                BigInteger serial = dir.revokeAdmin(ca, admin);
                System.out.printf("revoked administrator %s (serial %s) in %s%n", admin, serial.toString(16),
                        dir.revocationList());
            }
            return 0;
        }
    }
}
