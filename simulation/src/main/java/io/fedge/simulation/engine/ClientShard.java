package io.fedge.simulation.engine;

import java.io.Serial;
import java.io.Serializable;
import java.util.Objects;

/**
 * One simulated client as an engine hosts it: its id, the positions of its examples in the
 * federation's training set, and the seed of its local training.
 *
 * @param id the client id it registers with
 * @param indices its examples: positions in the training set ({@link io.fedge.data.DataSource#load})
 * @param seed its local training's seed (shuffling, dropout)
 * @param keys its certificate and key when the federation runs over mutual TLS, else null
 * @param attacker whether it makes the federation's attack ({@link HostedFederation#attack})
 */
public record ClientShard(String id, int[] indices, long seed, HostTrust.ClientKeys keys, boolean attacker)
        implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    public ClientShard {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(indices, "indices");
        if (indices.length == 0) {
            throw new IllegalArgumentException("client " + id + " has no examples");
        }
    }
}
