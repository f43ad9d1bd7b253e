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
        int colon = coordinator.lastIndexOf(':');
        if (colon <= 0 || colon == coordinator.length() - 1) {
            throw new IllegalArgumentException("--coordinator must be host:port: " + coordinator);
        }
        int port;
        try {
            port = Integer.parseInt(coordinator.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--coordinator must be host:port: " + coordinator);
        }
        return builder.coordinator(coordinator.substring(0, colon), port);
    }

    @Override
    public String toString() {
        return coordinator;
    }
}
