package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitPlan;
import io.fedge.comm.LocalTrainingMessages;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.compression.UpdateCodec;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.GlobalModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The exchange of one training round with the clients a plan selected: the round's bounds, its
 * key pair and secure-aggregation set-up, each client's signed task and the model, the wait for
 * their updates (folded as they arrive), the aggregation's result, and the clients' health
 * afterwards. What the result becomes is the caller's: {@link RoundLoop} publishes it as the next
 * global model, {@link RelayRounds} (a gateway) sends it upstream as its site's partial aggregate.
 *
 * <p>Used by one thread at a time (the round's).
 */
final class TrainingRound {
    private static final Logger log = LoggerFactory.getLogger(TrainingRound.class);

    /**
     * What the round's clients produced.
     *
     * @param active the round's bookkeeping (norms, clipping, response times, silent clients)
     * @param outcome the aggregation's result, the accepted count and the failures
     * @param ids the selected clients
     * @param codec the codec updates were encoded with
     * @param secure whether the round aggregated securely
     * @param limits the round's bounds
     */
    record Exchange(ActiveRound active, ActiveRound.Outcome outcome, List<String> ids, UpdateCodec codec,
                    boolean secure, ActiveRound.RoundLimits limits) {
    }

    private final CoordinatorState state;
    private final RoundListener listener;

    TrainingRound(CoordinatorState state, RoundListener listener) {
        this.state = state;
        this.listener = listener;
    }

    /**
     * Runs round {@code round} from {@code current} with the clients {@code plan} selected.
     *
     * @param aggregation begins the round's aggregation (called once, after listeners heard of the round)
     * @param equalWeights whether every update counts once (secure aggregation's weight cap is then 1)
     * @param clipMedian the median update norm of the last round that advanced the model, or NaN
     * @param stopping whether the coordinator is closing (a secure round gives up between stages)
     * @throws IllegalStateException if the plan asks for a codec this coordinator cannot decode
     */
    Exchange run(long round, GlobalModel current, FitPlan plan, long taskSeed, long deadlineMillis,
                 ModelBroadcast broadcast, Supplier<FitAggregation> aggregation, boolean equalWeights,
                 double clipMedian, BooleanSupplier stopping) throws InterruptedException, ExecutionException {
        UpdateCodec codec;
        try {
            codec = state.codecs.get(plan.instructions().codec());
        } catch (FedgeException e) {
            throw new IllegalStateException("the round asks for codec '" + plan.instructions().codec()
                    + "', which this coordinator cannot decode", e);
        }
        List<String> ids = new ArrayList<>();
        for (ClientInfo c : plan.clients()) {
            ids.add(c.id());
        }
        LocalTraining local = plan.instructions().local();
        int updateLength = local.updateLength(current.parameterCount()); // [dy ; dc] under SCAFFOLD
        ActiveRound.RoundLimits limits = limits(plan, current, ids.size(), clipMedian);
        // Listeners hear of the round before the strategy allocates its accumulator, so a heap
        // probe sees the idle coordinator.
        listener.roundStarted(round, ids.size());
        // A key pair per round: updates are sealed to it end to end, and it dies with the round.
        KeyPair roundKeys = state.sealUpdates ? UpdateSealer.newKeyPair() : null;
        SecAggAggregator secAgg = state.secureAggregation == null ? null
                : new SecAggAggregator(round, ids, maskedWords(plan.clients(), limits.maxWeight(), equalWeights),
                        updateLength, state.secureAggregation.maxNeighbours(),
                        state.secureAggregation.thresholdFraction(),
                        new SecureRandom()); // the graph must not be predictable, and must not shift the seeded rng
        // a plain round allocates its accumulator now (after listeners heard of the round); a secure one only
        // when the unmasked mean is ready, so it never holds the accumulator and the masked sum at once
        FitAggregation plainAggregation = secAgg == null ? aggregation.get() : null;
        Supplier<FitAggregation> folding = secAgg == null ? () -> plainAggregation : aggregation;
        ActiveRound active = new ActiveRound(round, current.version(), plan.instructions(), codec,
                updateLength, state.limits.updateChunkElements(), deadlineMillis, ids, folding,
                listener, roundKeys, secAgg);
        active.limits(limits);
        state.round = active;
        TrainTask template = task(round, current, plan, codec, taskSeed, deadlineMillis, broadcast, roundKeys, secAgg);
        for (String id : ids) {
            Optional<ClientSession> s = state.registry.get(id).filter(ClientSession::isActive);
            if (s.isEmpty()) {
                active.clientFailed(id, "disconnected before the task was sent");
                continue;
            }
            active.taskSent(id, s.get().channel());
            broadcast.sendTrainTask(s.get(), current.version(), template);
        }
        ActiveRound.Outcome outcome;
        try {
            if (secAgg == null) {
                active.awaitOutcomes();
                outcome = state.aggregationExecutor.submit(active::close).get();
            } else {
                outcome = new SecureRound(state, active, secAgg, deadlineMillis, listener, stopping).run();
            }
        } finally {
            // after every queued fold: the aggregation thread runs tasks in order
            try {
                state.aggregationExecutor.execute(active::releaseAggregation);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                active.releaseAggregation(); // shutting down: nothing folds any more
            }
        }
        updateHealth(round, ids, outcome, active);
        return new Exchange(active, outcome, ids, codec, secAgg != null, limits);
    }

    /** The task every selected client gets (signed per client by the broadcast). */
    private TrainTask task(long round, GlobalModel current, FitPlan plan, UpdateCodec codec, long taskSeed,
                           long deadlineMillis, ModelBroadcast broadcast, KeyPair roundKeys, SecAggAggregator secAgg) {
        LocalTraining local = plan.instructions().local();
        TrainTask.Builder taskBody = TrainTask.newBuilder();
        if (roundKeys != null) {
            taskBody.setUpdatePublicKey(ByteString.copyFrom(roundKeys.getPublic().getEncoded()));
        }
        if (secAgg != null) {
            taskBody.setSecureAggregation(secAgg.words().toSetup());
        }
        if (!local.equals(LocalTraining.NONE)) { // only clients that announced its features were selected
            taskBody.setLocalTraining(LocalTrainingMessages.toProto(local, local.scaffold()
                    ? broadcast.controlVariate(round, controlVariate(plan, current)) : null));
        }
        return taskBody
                .setRound(round)
                .setModelVersion(current.version())
                .setLocalEpochs(plan.instructions().localEpochs())
                .setBatchSize(plan.instructions().batchSize())
                .setLearningRate(plan.instructions().learningRate())
                .setCodec(codec.name())
                .setDeadlineUnixMs(deadlineMillis)
                .setSeed(taskSeed).build();
    }

    /**
     * This round's bounds: what each selected client declared, the weight cap (a share of the
     * declared total), the norm bound, and which selected clients are gateways (their updates
     * aggregate several devices, docs/gateways.md).
     */
    private ActiveRound.RoundLimits limits(FitPlan plan, GlobalModel current, int selected, double clipMedian) {
        UpdateBounds b = state.bounds;
        Map<String, Long> declared = new HashMap<>();
        Set<String> gateways = new HashSet<>();
        long total = 0;
        for (ClientInfo c : plan.clients()) {
            long n = Math.max(1, c.numExamples());
            if (c.features().contains(WireProtocol.FEATURE_GATEWAY)) {
                gateways.add(c.id()); // bounded by its device count instead (ActiveRound.announce)
            } else {
                declared.put(c.id(), n);
            }
            total += n;
        }
        long maxWeight = selected <= 1 || b.maxWeightShare() >= 1 ? b.maxExamplesPerClient()
                : Math.max(1, Math.min(b.maxExamplesPerClient(), (long) Math.floor(b.maxWeightShare() * total)));
        double clip = b.clip().bound(clipMedian, ModelGuard.norm(current.parameters()));
        int target = Math.min(plan.targetUpdates(), selected);
        return new ActiveRound.RoundLimits(declared, maxWeight, clip, target, gateways, state.maxGatewayDevices,
                b.maxExamplesPerClient());
    }

    /** SCAFFOLD's server control variate the strategy planned the round with: one value per parameter. */
    private static float[] controlVariate(FitPlan plan, GlobalModel current) {
        float[] c = plan.controlVariate();
        if (c == null || c.length != current.parameterCount()) {
            throw new IllegalStateException("the round asks for SCAFFOLD without a control variate of "
                    + current.parameterCount() + " values");
        }
        return c;
    }

    /** Missed deadlines keep clients out of the next rounds; a delivered update clears the record. */
    private void updateHealth(long round, List<String> ids, ActiveRound.Outcome outcome, ActiveRound active) {
        Set<String> failed = new HashSet<>();
        for (Failure f : outcome.failures()) {
            failed.add(f.clientId());
        }
        for (String id : active.silentClients()) {
            if (state.registry.get(id).filter(ClientSession::isActive).isPresent()) {
                state.health.missedDeadline(id, round);
                log.info("round {}: {} held the round up (missed its deadline or stalled) while connected; it sits out: {}",
                        round, id,
                        state.health.whyNot(id, round + 1));
            }
        }
        for (String id : ids) {
            if (!failed.contains(id)) {
                state.health.delivered(id);
            }
        }
    }

    /**
     * The fixed-point encoding of a secure round: 32-bit words when the selected clients' capped
     * example counts leave enough fraction bits, 64-bit otherwise. The weight cap it carries is
     * the round's (a share of the declared examples), and never more than 64-bit words can sum
     * for this many clients, so no client's declared count can make the round impossible.
     */
    private MaskedWords maskedWords(List<ClientInfo> selected, long maxWeight, boolean equalWeights) {
        SecureAggregation cfg = state.secureAggregation;
        long cap = 1;
        if (!equalWeights) { // equal weights: every masked update counts once
            for (ClientInfo c : selected) {
                cap = Math.max(cap, Math.min(c.numExamples(), maxWeight));
            }
        }
        long carried = MaskedWords.maxWeightCap(64, cfg.clipRange(), selected.size());
        if (cap > carried) {
            log.warn("secure aggregation: weights capped at {} examples, the most 64-bit words can sum for {} clients",
                    carried, selected.size());
            cap = Math.max(1, carried);
        }
        if (cfg.wordBits() == 32) {
            try {
                return MaskedWords.forRound(32, cfg.clipRange(), cap, selected.size());
            } catch (IllegalArgumentException e) {
                log.info("secure aggregation: {}; using 64-bit words", e.getMessage());
            }
        }
        return MaskedWords.forRound(64, cfg.clipRange(), cap, selected.size());
    }
}
