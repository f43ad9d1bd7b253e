package io.fedge.coordinator;

import io.fedge.aggregation.Failure;
import io.fedge.comm.ProtocolErrors;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The stages of a securely aggregated round after the tasks went out: keys, shares, masked
 * uploads, unmasking. Each waits until every client still in the round answered or dropped, or
 * its stage timeout passed, woken by each secure-aggregation message and each departure
 * ({@link CoordinatorState#signalProgress}). Any stage may abort the round, before anything is
 * revealed. Runs on the round thread.
 */
final class SecureRound {
    private static final Logger log = LoggerFactory.getLogger(SecureRound.class);

    private final CoordinatorState state;
    private final ActiveRound active;
    private final SecAggAggregator secAgg;
    private final long deadline;
    private final RoundListener listener;
    private final BooleanSupplier stopping;
    private final Predicate<String> gone;

    SecureRound(CoordinatorState state, ActiveRound active, SecAggAggregator secAgg, long deadline,
                RoundListener listener, BooleanSupplier stopping) {
        this.state = state;
        this.active = active;
        this.secAgg = secAgg;
        this.deadline = deadline;
        this.listener = listener;
        this.stopping = stopping;
        this.gone = id -> active.hasFailed(id) || state.registry.get(id).map(s -> !s.isActive()).orElse(true);
    }

    ActiveRound.Outcome run() throws InterruptedException, ExecutionException {
        long round = active.round;
        try {
            awaitStage(() -> secAgg.keysComplete(gone));
            Map<String, SecAggRoster> rosters = secAgg.closeKeys(gone);
            failOthers(rosters.keySet(), "sent no secure-aggregation keys in time");
            rosters.forEach((id, r) -> send(id, Envelope.newBuilder().setSecaggRoster(r).build()));

            awaitStage(() -> secAgg.sharesComplete(gone));
            Map<String, SecAggShares> forwards = secAgg.closeShares(gone);
            failOthers(forwards.keySet(), "did not commit to the secure aggregation in time");
            forwards.forEach((id, s) -> send(id, Envelope.newBuilder().setSecaggShares(s).build()));
            listener.secureAggregationCommitted(round, forwards.keySet());

            active.awaitOutcomes();
            List<Failure> failures = state.aggregationExecutor.submit(active::closeUploads).get();
            SecAggUnmask request = secAgg.closeMasked();
            if (secAgg.authenticated()) {
                // consistency check: every survivor signs the lists before anyone reveals a share
                SecAggUnmask check = request.toBuilder().setConsistencyCheck(true).build();
                for (String id : request.getSurvivorsList()) {
                    send(id, Envelope.newBuilder().setSecaggUnmask(check).build());
                }
                awaitStage(() -> secAgg.listSignaturesComplete(gone));
                request = secAgg.signedRequest(request);
            }
            for (String id : request.getSurvivorsList()) {
                send(id, Envelope.newBuilder().setSecaggUnmask(request).build());
            }
            awaitStage(() -> secAgg.revealsComplete(gone));
            SecAggAggregator.Result result = secAgg.finish();
            if (!result.dishonestHolders().isEmpty()) {
                log.warn("round {}: {} revealed shares that the commitments prove wrong; they were outvoted",
                        round, result.dishonestHolders());
            }
            log.info("round {}: secure sum of {} updates ({} dropped after committing), degree {}, threshold {}, "
                            + "{} ms of coordinator work", round, result.survivors(), request.getDroppedCount(),
                    secAgg.degree(), secAgg.threshold(), secAgg.busyNanos() / 1_000_000);
            return state.aggregationExecutor.submit(() -> active.finishSecure(result, failures)).get();
        } catch (FedgeException e) {
            if (e.code() != ErrorCode.SECURE_AGGREGATION_ABORTED) {
                throw e;
            }
            log.warn("round {}: {}{}", round, e.getMessage(), secAgg.dishonestHolders().isEmpty() ? ""
                    : "; proved dishonest: " + secAgg.dishonestHolders());
            secAgg.abandon();
            List<Failure> failures = state.aggregationExecutor.submit(active::closeUploads).get();
            Envelope abort = ProtocolErrors.toEnvelope(e, round, 0);
            for (String id : active.selectedIds()) {
                send(id, abort);
            }
            return active.abortSecure(failures);
        }
    }

    private void awaitStage(BooleanSupplier complete) throws InterruptedException {
        long until = Math.min(deadline, System.currentTimeMillis() + state.secureAggregation.stageTimeout().toMillis());
        long seen = state.progressEvents();
        while (!complete.getAsBoolean() && !stopping.getAsBoolean()) {
            long left = until - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            // woken by every secure-aggregation message and departure; the bound only re-checks the clock
            seen = state.awaitProgress(seen, Math.min(left, 1_000));
        }
    }

    private void failOthers(Set<String> kept, String reason) {
        for (String id : active.selectedIds()) {
            if (!kept.contains(id)) {
                active.clientFailed(id, reason);
            }
        }
    }

    private void send(String id, Envelope msg) {
        state.registry.get(id).map(ClientSession::channel).filter(Channel::isActive)
                .ifPresent(ch -> ch.writeAndFlush(msg));
    }
}
