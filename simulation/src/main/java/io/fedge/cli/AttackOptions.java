package io.fedge.cli;

import io.fedge.simulation.SimulationConfig;
import io.fedge.simulation.attack.Attack;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * The options of {@code fedge simulate} that measure robustness: which attack how many clients
 * make ({@link Attack}), and the coordinator's timeouts the attacks run into.
 */
final class AttackOptions {
    @Option(names = "--attack", description = "clients chosen from the seed misbehave every round: "
            + "examples:COUNT, claim:COUNT, scale:F, nan, stall, noread; baselines absent, decline "
            + "(docs/robustness.md)")
    String attack;

    @Option(names = "--attackers", description = "how many clients make the --attack; default 1")
    Integer attackers;

    @Option(names = "--round-timeout", description = "seconds the coordinator waits for a round's updates; "
            + "default ${DEFAULT-VALUE}")
    int roundTimeoutSeconds = (int) SimulationConfig.Timeouts.DEFAULTS.round().toSeconds();

    @Option(names = "--stall-timeout", description = "seconds an admitted upload may go without a chunk before "
            + "it fails with TRANSFER_STALLED; default ${DEFAULT-VALUE}")
    int stallTimeoutSeconds = (int) SimulationConfig.Timeouts.DEFAULTS.stall().toSeconds();

    @Option(names = "--slow-reader-timeout", description = "seconds a connection may stay unwritable before it "
            + "is cut as SLOW_CONSUMER; default ${DEFAULT-VALUE}")
    int slowReaderTimeoutSeconds = (int) SimulationConfig.Timeouts.DEFAULTS.slowReader().toSeconds();

    /**
     * @throws IllegalArgumentException naming the first bad option
     */
    void validate(int clients, boolean secureAggregation) {
        OptionChecks.between("--round-timeout", roundTimeoutSeconds, 1, 86_400);
        OptionChecks.between("--stall-timeout", stallTimeoutSeconds, 1, 3_600);
        OptionChecks.between("--slow-reader-timeout", slowReaderTimeoutSeconds, 1, 3_600);
        if (attack == null) {
            if (attackers != null) {
                throw new IllegalArgumentException("--attackers needs --attack KIND: " + Attack.FORMS);
            }
            return;
        }
        Attack a = OptionChecks.attack("--attack", attack);
        OptionChecks.between("--attackers", attackers(), 1, clients - 1);
        if (a.kind() == Attack.Kind.STALL && secureAggregation) {
            throw new IllegalArgumentException("--attack stall cannot be combined with --secure-aggregation (the "
                    + "stalling client sends plain updates)");
        }
    }

    /** The attack, or null for none. */
    Attack parsed() {
        return attack == null ? null : Attack.parse(attack);
    }

    /** How many clients attack: 0 without an attack, 1 unless {@code --attackers} says. */
    int attackers() {
        return attack == null ? 0 : attackers == null ? 1 : attackers;
    }

    SimulationConfig.Timeouts timeouts() {
        return new SimulationConfig.Timeouts(Duration.ofSeconds(roundTimeoutSeconds),
                Duration.ofSeconds(stallTimeoutSeconds), Duration.ofSeconds(slowReaderTimeoutSeconds));
    }

    /** For the command's first line: empty without an attack. */
    String describe() {
        return attack == null ? "" : ", attack " + parsed() + " by " + attackers() + (attackers() == 1 ? " client" : " clients");
    }
}
