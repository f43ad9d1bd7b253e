package io.fedge.cli;

import io.fedge.client.FederatedClient;
import picocli.CommandLine.Option;

/**
 * The {@code --coordinator host:port} option of the commands that run clients
 * ({@code fedge client}, {@code fedge swarm}).
 */
final class CoordinatorAddress {
    @Option(names = "--coordinator", description = "host:port of the coordinator; default ${DEFAULT-VALUE}")
    String coordinator = "127.0.0.1:7070";

    /**
     * Points {@code builder} at the coordinator.
     *
     * @throws IllegalArgumentException if the option is not host:port with a valid port
     */
    FederatedClient.Builder applyTo(FederatedClient.Builder builder) {
        java.net.InetSocketAddress a = parse("--coordinator", coordinator);
        return builder.coordinator(a.getHostString(), a.getPort());
    }

    /**
     * {@code value} as host:port, unresolved.
     *
     * @throws IllegalArgumentException naming {@code option} if it is not host:port with a port in [0, 65535]
     */
    static java.net.InetSocketAddress parse(String option, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException(option + " must be host:port: " + value);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be host:port: " + value);
        }
        OptionChecks.between(option + " port", port, 0, 65535);
        return java.net.InetSocketAddress.createUnresolved(value.substring(0, colon), port);
    }

    @Override
    public String toString() {
        return coordinator;
    }
}
