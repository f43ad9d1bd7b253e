package io.fedge.simulation.engine;

import io.fedge.client.ClientEnding;
import io.fedge.simulation.attack.AttackReport;

import java.io.Serial;
import java.io.Serializable;

/**
 * How one hosted client ended, and where it ran.
 *
 * @param id the client id
 * @param kind how it ended ({@link ClientEnding.Kind})
 * @param reason why, in one line
 * @param host where it ran (an engine's executor id and host name)
 * @param attackerTally what an attacker's client heard (welcomes, tasks, joins refused), for the
 *     simulation's {@link AttackReport}; null for an honest client
 */
public record ClientOutcome(String id, ClientEnding.Kind kind, String reason, String host,
                            AttackReport.Tally attackerTally) implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Whether the client ended otherwise than with the federation's end or its application closing it. */
    public boolean isFailure() {
        return new ClientEnding(kind, reason).isFailure();
    }
}
