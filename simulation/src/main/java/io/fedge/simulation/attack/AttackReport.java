package io.fedge.simulation.attack;

import io.fedge.aggregation.Failure;
import io.fedge.client.ClientListener;
import io.fedge.coordinator.RoundListener;
import io.fedge.coordinator.RoundRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the coordinator treated each attacker of a simulation, from what it told its listeners
 * (updates accepted and clipped, and each round's record of who did not count and why) and what
 * the attackers' clients heard (joins refused). Thread-safe: the coordinator's round, aggregation
 * and I/O threads and the clients' event loop all report here.
 */
public final class AttackReport implements RoundListener, ClientListener {
    /**
     * What happened to one attacker.
     *
     * @param registrations how many times the coordinator welcomed it
     * @param tasks training tasks it received
     * @param accepted its updates folded into a round's aggregate
     * @param clipped of those, how many were scaled down to the round's norm bound
     * @param notCounted rounds whose record lists it as not counted
     * @param lastNotCounted the reason the last such record gives, or empty
     * @param joinFailures attempts to join that failed before a Welcome
     * @param lastJoinFailure why the last one failed, or empty
     * @param largestClippedNorm the largest norm of a clipped update, NaN if none
     * @param clipBound the bound that update was clipped to, NaN if none
     */
    public record Tally(int registrations, int tasks, int accepted, int clipped, int notCounted, String lastNotCounted,
                        int joinFailures, String lastJoinFailure, double largestClippedNorm, double clipBound)
            implements java.io.Serializable {
        @java.io.Serial
        private static final long serialVersionUID = 1L;
    }

    /** One attacker's counts as they grow; guarded by the report's lock. */
    private static final class Counts {
        int registrations;
        int tasks;
        int accepted;
        int clipped;
        int notCounted;
        String lastNotCounted = "";
        int joinFailures;
        String lastJoinFailure = "";
        double largestClippedNorm = Double.NaN;
        double clipBound = Double.NaN;

        Tally snapshot() {
            return new Tally(registrations, tasks, accepted, clipped, notCounted, lastNotCounted, joinFailures,
                    lastJoinFailure, largestClippedNorm, clipBound);
        }
    }

    private final Attack attack;
    private final Map<String, Counts> counts = new LinkedHashMap<>();

    /** Reports on the clients {@code attackerIds}, who all do {@code attack}. */
    public AttackReport(Attack attack, List<String> attackerIds) {
        this.attack = java.util.Objects.requireNonNull(attack, "attack");
        for (String id : attackerIds) {
            counts.put(id, new Counts());
        }
    }

    public Attack attack() {
        return attack;
    }

    /** The attackers' client ids, in order. */
    public synchronized List<String> attackerIds() {
        return List.copyOf(counts.keySet());
    }

    /** The tally of {@code clientId}. */
    public synchronized Tally tally(String clientId) {
        Counts c = counts.get(clientId);
        if (c == null) {
            throw new IllegalArgumentException(clientId + " is not an attacker");
        }
        return c.snapshot();
    }

    /** Applies {@code change} to {@code clientId}'s counts if it is an attacker. */
    private synchronized void update(String clientId, java.util.function.Consumer<Counts> change) {
        Counts c = counts.get(clientId);
        if (c != null) {
            change.accept(c);
        }
    }

    /**
     * Adds what {@code clientId}'s client heard where it ran (another JVM's report on it: an engine's
     * host): its welcomes, tasks and refused joins. The coordinator's side of the tally (accepted,
     * clipped, not counted) is this report's own.
     */
    public void addClientSide(String clientId, Tally heard) {
        update(clientId, c -> {
            c.registrations += heard.registrations();
            c.tasks += heard.tasks();
            c.joinFailures += heard.joinFailures();
            if (!heard.lastJoinFailure().isEmpty()) {
                c.lastJoinFailure = heard.lastJoinFailure();
            }
        });
    }

    @Override
    public void registered(String clientId) {
        update(clientId, c -> c.registrations++);
    }

    @Override
    public void joinFailed(String clientId, String reason) {
        update(clientId, c -> {
            c.joinFailures++;
            c.lastJoinFailure = reason;
        });
    }

    @Override
    public void trainTask(String clientId, long round) {
        update(clientId, c -> c.tasks++);
    }

    @Override
    public void clientFinished(long round, String clientId, boolean accepted) {
        if (accepted) {
            update(clientId, c -> c.accepted++);
        }
    }

    @Override
    public void updateClipped(long round, String clientId, double norm, double bound) {
        update(clientId, c -> {
            c.clipped++;
            if (Double.isNaN(c.largestClippedNorm) || norm > c.largestClippedNorm) {
                c.largestClippedNorm = norm;
                c.clipBound = bound;
            }
        });
    }

    @Override
    public void roundFinished(RoundRecord record) {
        for (Failure f : record.notCounted()) {
            update(f.clientId(), c -> {
                c.notCounted++;
                c.lastNotCounted = f.reason();
            });
        }
    }

    /** One line per attacker: how often it was welcomed, tasked, accepted, clipped and refused, and why. */
    public synchronized List<String> lines() {
        List<String> lines = new ArrayList<>();
        counts.forEach((id, c) -> {
            Tally t = c.snapshot();
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                    "attacker %s (%s): registered %d times, %d tasks, %d updates accepted", id, attack,
                    t.registrations(), t.tasks(), t.accepted()));
            if (t.clipped() > 0) {
                s.append(String.format(Locale.ROOT, " (%d clipped, largest norm %.4g to %.4g)", t.clipped(),
                        t.largestClippedNorm(), t.clipBound()));
            }
            s.append(", not counted in ").append(t.notCounted()).append(t.notCounted() == 1 ? " round" : " rounds");
            if (t.notCounted() > 0) {
                s.append(" (last: ").append(t.lastNotCounted()).append(')');
            }
            if (t.registrations() == 0 && t.joinFailures() > 0) {
                s.append("; never registered, ").append(t.joinFailures()).append(" joins refused (last: ")
                        .append(t.lastJoinFailure()).append(')');
            }
            lines.add(s.toString());
        });
        return lines;
    }
}
