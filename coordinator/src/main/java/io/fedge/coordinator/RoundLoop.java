package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.EvaluatePlan;
import io.fedge.aggregation.EvaluateResult;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitPlan;
import io.fedge.aggregation.Strategy;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.ProtocolErrors;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.core.ErrorCode;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.comm.signing.TaskSigner;
import io.fedge.compression.UpdateCodec;
import io.fedge.core.FedgeException;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;

/**
 * Runs the training rounds on its own thread: waits for enough clients, asks the strategy whom
 * to select, sends each the task and the model (one shared buffer for all), waits for updates
 * until all selected clients settled or the deadline passed, closes the aggregation, evaluates
 * and publishes the new model, and records the round.
 */
final class RoundLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(RoundLoop.class);
    /** Model transfers use ids with this bit set, so they never collide with client-chosen ids. */
    private static final long MODEL_TRANSFER_BIT = 1L << 62;
    /** Delta model transfers also have this bit. */
    private static final long DELTA_TRANSFER_BIT = 1L << 61;

    private final CoordinatorState state;
    private final Strategy strategy;
    private final int rounds;
    private final long roundTimeoutMillis;
    private final ServerEvaluator evaluator;
    private final RoundListener listener;
    private final History history;
    private final Random rng;
    private final Path checkpointDir;
    private volatile GlobalModel model;
    private OutgoingTransfer broadcast;
    /** The broadcast's header, signed when the coordinator has a model-signing key. */
    private TransferHeader broadcastHeader;
    private volatile boolean stopping;
    /** The encoded models of the last versions, oldest first, for deltas (empty when deltas are off). */
    private final java.util.LinkedHashMap<Long, byte[]> recentModels = new java.util.LinkedHashMap<>();
    /** This version's deltas, by base version. */
    private final java.util.Map<Long, Delta> deltas = new java.util.HashMap<>();
    /** Exports and serves edge models, or null. */
    private EdgeModelServer edge;

    RoundLoop(CoordinatorState state, Strategy strategy, GlobalModel initial, int rounds, long roundTimeoutMillis,
              ServerEvaluator evaluator, RoundListener listener, History history, long seed, Path checkpointDir) {
        this.state = state;
        this.strategy = strategy;
        this.model = initial;
        this.rounds = rounds;
        this.roundTimeoutMillis = roundTimeoutMillis;
        this.evaluator = evaluator;
        this.listener = listener;
        this.history = history;
        this.rng = new Random(seed);
        this.checkpointDir = checkpointDir;
    }

    void edgeModels(EdgeModelServer server) {
        this.edge = server;
    }

    GlobalModel model() {
        return model;
    }

    void stop() {
        stopping = true;
    }

    @Override
    public void run() {
        broadcast = encode(model);
        try {
            for (long round = 1; round <= rounds && !stopping; round++) {
                if (!awaitClients()) {
                    return;
                }
                runRound(round);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | ExecutionException e) {
            log.error("the round loop failed", e);
        } finally {
            broadcast.release();
            releaseDeltas();
        }
    }

    private boolean awaitClients() throws InterruptedException {
        int wanted = strategy.minAvailableClients();
        long lastLog = System.currentTimeMillis();
        while (!state.registry.awaitAtLeast(wanted, 200)) {
            if (stopping) {
                return false;
            }
            if (System.currentTimeMillis() - lastLog > 10_000) {
                log.info("waiting for clients: {} of {} connected", state.registry.size(), wanted);
                lastLog = System.currentTimeMillis();
            }
        }
        return !stopping;
    }

    private void runRound(long round) throws InterruptedException, ExecutionException {
        long bytesIn0 = state.traffic.bytesIn();
        long bytesOut0 = state.traffic.bytesOut();
        long t0 = System.nanoTime();
        GlobalModel current = model;
        List<ClientInfo> available = state.registry.available();
        if (state.secureAggregation != null) {
            available = available.stream().filter(c -> state.registry.get(c.id())
                    .map(s -> s.features().contains(WireProtocol.FEATURE_SECURE_AGGREGATION)).orElse(false)).toList();
        }
        logIneligible(available);
        FitPlan plan = strategy.configureFit(round, available, rng);
        long taskSeed = rng.nextLong();
        if (plan.clients().size() < strategy.minFitClients()) {
            log.warn("round {}: only {} eligible clients of {} available, {} needed; skipping", round,
                    plan.clients().size(), available.size(), strategy.minFitClients());
            record(round, false, current, plan.clients().size(), 0, plan.clients().size(), null, Double.NaN,
                    Double.NaN, System.nanoTime() - t0, 0, bytesIn0, bytesOut0, Double.NaN, Double.NaN);
            Thread.sleep(Math.min(1000, roundTimeoutMillis));
            return;
        }
        UpdateCodec codec;
        try {
            codec = state.codecs.get(plan.instructions().codec());
        } catch (FedgeException e) {
            throw new IllegalStateException("strategy " + strategy.name() + " asks for a codec this coordinator "
                    + "cannot decode", e);
        }
        List<String> ids = new ArrayList<>();
        for (ClientInfo c : plan.clients()) {
            ids.add(c.id());
        }
        long deadline = System.currentTimeMillis() + roundTimeoutMillis;
        // Listeners hear of the round before the strategy allocates its accumulator, so a heap
        // probe sees the idle coordinator.
        listener.roundStarted(round, ids.size());
        // A key pair per round: updates are sealed to it end to end, and it dies with the round.
        KeyPair roundKeys = state.sealUpdates ? UpdateSealer.newKeyPair() : null;
        SecAggAggregator secAgg = state.secureAggregation == null ? null
                : new SecAggAggregator(round, ids, maskedWords(plan.clients()), current.parameterCount(),
                        state.secureAggregation.maxNeighbours(), state.secureAggregation.thresholdFraction(),
                        new java.security.SecureRandom()); // the graph must not be predictable, and must not shift the seeded rng
        // a plain round allocates its accumulator now (after listeners heard of the round); a secure one only
        // when the unmasked mean is ready, so it never holds the accumulator and the masked sum at once
        io.fedge.aggregation.FitAggregation plainAggregation = secAgg == null ? strategy.beginFit(round, current) : null;
        ActiveRound active = new ActiveRound(round, current.version(), plan.instructions(), codec,
                current.parameterCount(), state.limits.updateChunkElements(), deadline, ids,
                secAgg == null ? (java.util.function.Supplier<io.fedge.aggregation.FitAggregation>) () -> plainAggregation
                        : () -> strategy.beginFit(round, current), listener, roundKeys, secAgg);
        state.round = active;
        TrainTask.Builder taskBody = TrainTask.newBuilder();
        if (roundKeys != null) {
            taskBody.setUpdatePublicKey(ByteString.copyFrom(roundKeys.getPublic().getEncoded()));
        }
        if (secAgg != null) {
            taskBody.setSecureAggregation(secAgg.words().toSetup());
        }
        TrainTask template = taskBody
                .setRound(round)
                .setModelVersion(current.version())
                .setLocalEpochs(plan.instructions().localEpochs())
                .setBatchSize(plan.instructions().batchSize())
                .setLearningRate(plan.instructions().learningRate())
                .setCodec(codec.name())
                .setDeadlineUnixMs(deadline)
                .setModel(broadcastHeader)
                .setSeed(taskSeed).build();
        for (String id : ids) {
            Optional<ClientSession> s = state.registry.get(id).filter(ClientSession::isActive);
            if (s.isEmpty()) {
                active.clientFailed(id, "disconnected before the task was sent");
                continue;
            }
            sendWithModel(s.get(), current.version(), (header, base) -> {
                TrainTask.Builder t = template.toBuilder().setModel(header);
                if (base != null) {
                    t.setModelIsDelta(true).setModelDeltaBase(base);
                }
                return Envelope.newBuilder().setTrainTask(state.modelSigningKey == null ? t.build()
                        : TaskSigner.sign(t.build(), id, state.modelSigningKey)).build();
            });
        }
        ActiveRound.Outcome outcome;
        if (secAgg == null) {
            active.awaitOutcomes();
            outcome = state.aggregationExecutor.submit(active::close).get();
        } else {
            outcome = new SecureRound(active, secAgg, deadline).run();
        }
        for (Failure f : outcome.failures()) {
            log.debug("round {}: {} failed: {}", round, f.clientId(), f.reason());
        }
        boolean succeeded = outcome.parameters().isPresent() && outcome.accepted() >= strategy.minFitClients();
        if (succeeded) {
            publish(current.withParameters(current.version() + 1, outcome.parameters().get()));
            if (edge != null) {
                edge.roundPublished(round, model);
            }
        } else {
            log.warn("round {} failed: {} of {} updates accepted, {} needed; the model stays at version {}", round,
                    outcome.accepted(), ids.size(), strategy.minFitClients(), current.version());
        }
        long roundNanos = System.nanoTime() - t0;
        long evalStart = System.nanoTime();
        Evaluation serverEval = succeeded && evaluator != null ? evaluator.evaluate(model) : null;
        long evalNanos = System.nanoTime() - evalStart;
        double federatedAccuracy = succeeded ? federatedEvaluation(round) : Double.NaN;
        record(round, succeeded, model, ids.size(), outcome.accepted(), outcome.failures().size(), serverEval,
                outcome.meanTrainLoss(), federatedAccuracy, roundNanos, evalNanos, bytesIn0, bytesOut0,
                secAgg == null ? Double.NaN : active.meanClientSecAggMillis() / 1e3,
                secAgg == null ? Double.NaN : secAgg.busyNanos() / 1e9);
    }

    /** Clients already told about, by id and codec, so each reason is logged once. */
    private final java.util.Set<String> reportedIneligible = new java.util.HashSet<>();

    /** Logs, once per client and codec, the connected clients that cannot encode the strategy's codecs. */
    private void logIneligible(List<ClientInfo> available) {
        for (String codec : strategy.codecs()) {
            for (ClientInfo c : available) {
                if (!io.fedge.core.CodecNames.supportedBy(codec, c.codecs()) && reportedIneligible.add(c.id() + "\0" + codec)) {
                    log.info("client {} is not selected: it cannot encode codec '{}' (it has {})", c.id(), codec,
                            c.codecs());
                }
            }
        }
    }

    /**
     * The fixed-point encoding of a secure round: 32-bit words when the selected clients' example
     * counts leave enough fraction bits, 64-bit otherwise.
     */
    private MaskedWords maskedWords(List<ClientInfo> selected) {
        SecureAggregation cfg = state.secureAggregation;
        long cap = 1;
        for (ClientInfo c : selected) {
            cap = Math.max(cap, c.numExamples());
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

    /**
     * The stages of a securely aggregated round after the tasks went out: keys, shares, masked
     * uploads, unmasking. Each waits until every client still in the round answered or dropped, or
     * its stage timeout passed. Any stage may abort the round, before anything is revealed.
     */
    private final class SecureRound {
        private final ActiveRound active;
        private final SecAggAggregator secAgg;
        private final long deadline;
        private final java.util.function.Predicate<String> gone;

        SecureRound(ActiveRound active, SecAggAggregator secAgg, long deadline) {
            this.active = active;
            this.secAgg = secAgg;
            this.deadline = deadline;
            this.gone = id -> active.hasFailed(id)
                    || state.registry.get(id).map(s -> !s.isActive()).orElse(true);
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
                log.info("round {}: secure sum of {} updates ({} dropped after committing), degree {}, threshold {}, "
                                + "{} ms of coordinator work", round, result.survivors(), request.getDroppedCount(),
                        secAgg.degree(), secAgg.threshold(), secAgg.busyNanos() / 1_000_000);
                return state.aggregationExecutor.submit(() -> active.finishSecure(result, failures)).get();
            } catch (FedgeException e) {
                if (e.code() != ErrorCode.SECURE_AGGREGATION_ABORTED) {
                    throw e;
                }
                log.warn("round {}: {}", round, e.getMessage());
                secAgg.abandon();
                List<Failure> failures = state.aggregationExecutor.submit(active::closeUploads).get();
                Envelope abort = ProtocolErrors.toEnvelope(e, round, 0);
                for (String id : active.selectedIds()) {
                    send(id, abort);
                }
                return active.abortSecure(failures);
            }
        }

        private void awaitStage(java.util.function.BooleanSupplier complete) throws InterruptedException {
            long until = Math.min(deadline, System.currentTimeMillis()
                    + state.secureAggregation.stageTimeout().toMillis());
            while (!complete.getAsBoolean() && System.currentTimeMillis() < until && !stopping) {
                Thread.sleep(5);
            }
        }

        private void failOthers(java.util.Set<String> kept, String reason) {
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

    private double federatedEvaluation(long round) throws InterruptedException {
        EvaluatePlan plan = strategy.configureEvaluate(round, state.registry.available(), rng);
        if (plan.clients().isEmpty()) {
            return Double.NaN;
        }
        GlobalModel current = model;
        List<String> ids = new ArrayList<>();
        for (ClientInfo c : plan.clients()) {
            ids.add(c.id());
        }
        long deadline = System.currentTimeMillis() + roundTimeoutMillis;
        ActiveEvaluation evaluation = new ActiveEvaluation(round, current.version(), deadline, ids);
        state.evaluation = evaluation;
        EvaluateTask template = EvaluateTask.newBuilder()
                .setRound(round)
                .setModelVersion(current.version())
                .setBatchSize(plan.batchSize())
                .setDeadlineUnixMs(deadline)
                .setModel(broadcastHeader).build();
        for (String id : ids) {
            Optional<ClientSession> s = state.registry.get(id).filter(ClientSession::isActive);
            if (s.isEmpty()) {
                evaluation.clientFailed(id, "disconnected before the task was sent");
                continue;
            }
            sendWithModel(s.get(), current.version(), (header, base) -> {
                EvaluateTask.Builder t = template.toBuilder().setModel(header);
                if (base != null) {
                    t.setModelIsDelta(true).setModelDeltaBase(base);
                }
                return Envelope.newBuilder().setEvaluateTask(state.modelSigningKey == null ? t.build()
                        : TaskSigner.sign(t.build(), id, state.modelSigningKey)).build();
            });
        }
        evaluation.awaitAnswers();
        List<Failure> failures = new ArrayList<>();
        List<EvaluateResult> results = evaluation.close(failures);
        return strategy.aggregateEvaluate(round, results, failures).map(Evaluation::accuracy).orElse(Double.NaN);
    }

    /** A model download as a delta against one base version, shared by every client that holds that base. */
    private record Delta(OutgoingTransfer transfer, TransferHeader header) {
    }

    /**
     * Writes {@code task} (built for the model header and, for a delta, its base version) and the
     * model: as a delta against the version this connection last received when the coordinator
     * still has that version and the delta is smaller, in full otherwise.
     */
    private void sendWithModel(ClientSession s, long version,
                               java.util.function.BiFunction<TransferHeader, Long, Envelope> task) {
        Channel ch = s.channel();
        long base = s.modelVersion().get();
        Delta d = state.deltaModelVersions > 0 && base >= 0 && base != version ? delta(base, version) : null;
        if (d != null) {
            ch.write(task.apply(d.header(), base));
            d.transfer().writeTo(ch);
        } else {
            ch.write(task.apply(broadcastHeader, null));
            broadcast.writeTo(ch);
        }
        ch.flush();
        s.modelVersion().set(version);
    }

    private Delta delta(long base, long version) {
        Delta d = deltas.get(base);
        if (d != null || !recentModels.containsKey(base)) {
            return d;
        }
        byte[] target = recentModels.get(version);
        byte[] bytes = io.fedge.compression.ModelDelta.encode(recentModels.get(base), target);
        if (bytes == null || bytes.length >= target.length) {
            return null;
        }
        long id = MODEL_TRANSFER_BIT | DELTA_TRANSFER_BIT | ((version * 1_000_003L + base) & ((1L << 60) - 1));
        OutgoingTransfer t = OutgoingTransfer.ofBytes(id, bytes, state.limits.chunkBytes());
        d = new Delta(t, state.modelSigningKey == null ? t.header() : ModelSigner.sign(t.header(), state.modelSigningKey));
        deltas.put(base, d);
        return d;
    }

    private void releaseDeltas() {
        for (Delta d : deltas.values()) {
            d.transfer().release();
        }
        deltas.clear();
    }

    private void publish(GlobalModel next) {
        OutgoingTransfer old = broadcast;
        broadcast = encode(next);
        old.release();
        releaseDeltas();
        model = next;
        if (checkpointDir != null) {
            checkpoint(next);
        }
    }

    private OutgoingTransfer encode(GlobalModel m) {
        byte[] bytes = m.encode(state.halfPrecisionModels);
        if (state.deltaModelVersions > 0) {
            recentModels.put(m.version(), bytes);
            while (recentModels.size() > state.deltaModelVersions) {
                recentModels.remove(recentModels.keySet().iterator().next());
            }
        }
        OutgoingTransfer t = OutgoingTransfer.ofBytes(MODEL_TRANSFER_BIT | m.version(), bytes,
                state.limits.chunkBytes());
        broadcastHeader = state.modelSigningKey == null ? t.header()
                : ModelSigner.sign(t.header(), state.modelSigningKey);
        return t;
    }

    /** Writes the model next to the old checkpoint and renames it over, so a crash never leaves half a file. */
    private void checkpoint(GlobalModel m) {
        try {
            Files.createDirectories(checkpointDir);
            Path tmp = checkpointDir.resolve("global-model.fgm.tmp");
            Files.write(tmp, m.encode());
            Files.move(tmp, checkpointDir.resolve("global-model.fgm"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.error("could not checkpoint model version {} to {}", m.version(), checkpointDir, e);
        }
    }

    private void record(long round, boolean succeeded, GlobalModel m, int selected, int accepted, int failures,
                        Evaluation eval, double trainLoss, double federatedAccuracy, long roundNanos, long evalNanos,
                        long bytesIn0, long bytesOut0, double secAggClientSeconds, double secAggCoordinatorSeconds) {
        RoundRecord r = new RoundRecord(round, succeeded, m.version(), selected, accepted, failures,
                eval == null ? Double.NaN : eval.accuracy(), eval == null ? Double.NaN : eval.loss(), trainLoss,
                federatedAccuracy, roundNanos / 1e9, evalNanos / 1e9,
                state.traffic.bytesIn() - bytesIn0, state.traffic.bytesOut() - bytesOut0,
                secAggClientSeconds, secAggCoordinatorSeconds);
        history.add(r);
        listener.roundFinished(r);
        log.info("round {}: {} of {} updates, test accuracy {}, {} s", round, accepted, selected,
                eval == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.4f", eval.accuracy()),
                String.format(java.util.Locale.ROOT, "%.2f", roundNanos / 1e9));
    }
}
