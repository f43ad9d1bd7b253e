package io.fedge.simulation.engine;

import io.fedge.data.DataSource;
import io.fedge.simulation.attack.Attack;

import java.io.Serial;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What an engine's hosts need to run a federation's clients: where the coordinator listens, where
 * the data is (each host reads its own copy), and the clients. Serializable: an engine sends it to
 * its hosts.
 *
 * @param coordinatorHost the coordinator's host name or address, as the hosts reach it
 * @param coordinatorPort its port
 * @param data the federation's data; every host reads the same training set from its own copy
 * @param clients the clients, in id order
 * @param giveUpAfter how long a client keeps reconnecting to a coordinator it cannot reach before it ends
 * @param trust the CA and model-signing key of a federation over mutual TLS (each client's keys in
 *     its {@link ClientShard}), or null for plain TCP
 * @param secureAggregation whether the clients take part in secure aggregation (their certificates
 *     are their identities)
 * @param attack what the clients marked {@link ClientShard#attacker} do, or null for none; one a
 *     real client makes (not the transport-level ones, which are protocol clients of their own)
 */
public record HostedFederation(String coordinatorHost, int coordinatorPort, DataSource data, List<ClientShard> clients,
                               Duration giveUpAfter, HostTrust trust, boolean secureAggregation, Attack attack)
        implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    public HostedFederation {
        Objects.requireNonNull(coordinatorHost, "coordinatorHost");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(giveUpAfter, "giveUpAfter");
        if (coordinatorPort < 1 || coordinatorPort > 65_535) {
            throw new IllegalArgumentException("coordinator port out of range: " + coordinatorPort);
        }
        clients = List.copyOf(clients);
        if (clients.isEmpty()) {
            throw new IllegalArgumentException("a federation without clients");
        }
        for (ClientShard c : clients) {
            if ((c.keys() == null) != (trust == null)) {
                throw new IllegalArgumentException("client " + c.id() + (trust == null ? " has keys in a federation "
                        + "over plain TCP" : " has no keys in a federation over mutual TLS"));
            }
        }
        if (attack != null && attack.isTransportLevel()) {
            throw new IllegalArgumentException("attack " + attack + " is a protocol client of its own; engines host "
                    + "real clients");
        }
        for (ClientShard c : clients) {
            if (c.attacker() && attack == null) {
                throw new IllegalArgumentException("client " + c.id() + " is an attacker in a federation without an attack");
            }
        }
        if (secureAggregation && trust == null) {
            throw new IllegalArgumentException("secure aggregation needs the clients' certificates (mutual TLS)");
        }
    }

    /** The clients a host numbered {@code host} of {@code hosts} runs: every {@code hosts}-th, from {@code host}. */
    public List<ClientShard> share(int host, int hosts) {
        if (hosts < 1 || host < 0 || host >= hosts) {
            throw new IllegalArgumentException("host " + host + " of " + hosts);
        }
        java.util.ArrayList<ClientShard> mine = new java.util.ArrayList<>();
        for (int k = host; k < clients.size(); k += hosts) {
            mine.add(clients.get(k));
        }
        return mine;
    }
}
