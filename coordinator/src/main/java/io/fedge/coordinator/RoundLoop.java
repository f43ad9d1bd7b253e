package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.EvaluatePlan;
import io.fedge.aggregation.EvaluateResult;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitPlan;
import io.fedge.aggregation.Strategy;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.signing.ModelSigner;
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
        FitPlan plan = strategy.configureFit(round, available, rng);
        if (plan.clients().size() < strategy.minFitClients()) {
            log.warn("round {}: only {} eligible clients of {} available, {} needed; skipping", round,
                    plan.clients().size(), available.size(), strategy.minFitClients());
            record(round, false, current, plan.clients().size(), 0, plan.clients().size(), null, Double.NaN,
                    Double.NaN, System.nanoTime() - t0, 0, bytesIn0, bytesOut0);
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
        ActiveRound active = new ActiveRound(round, current.version(), plan.instructions(), codec,
                current.parameterCount(), state.limits.updateChunkElements(), deadline, ids,
                strategy.beginFit(round, current), listener, roundKeys);
        state.round = active;
        TrainTask.Builder taskBody = TrainTask.newBuilder();
        if (roundKeys != null) {
            taskBody.setUpdatePublicKey(ByteString.copyFrom(roundKeys.getPublic().getEncoded()));
        }
        Envelope task = Envelope.newBuilder().setTrainTask(taskBody
                .setRound(round)
                .setModelVersion(current.version())
                .setLocalEpochs(plan.instructions().localEpochs())
                .setBatchSize(plan.instructions().batchSize())
                .setLearningRate(plan.instructions().learningRate())
                .setCodec(codec.name())
                .setDeadlineUnixMs(deadline)
                .setModel(broadcastHeader)
                .setSeed(rng.nextLong())).build();
        for (String id : ids) {
            Optional<Channel> ch = state.registry.get(id).map(ClientSession::channel).filter(Channel::isActive);
            if (ch.isEmpty()) {
                active.clientFailed(id, "disconnected before the task was sent");
                continue;
            }
            ch.get().write(task);
            broadcast.writeTo(ch.get());
            ch.get().flush();
        }
        active.awaitOutcomes();
        ActiveRound.Outcome outcome = state.aggregationExecutor.submit(active::close).get();
        for (Failure f : outcome.failures()) {
            log.debug("round {}: {} failed: {}", round, f.clientId(), f.reason());
        }
        boolean succeeded = outcome.parameters().isPresent() && outcome.accepted() >= strategy.minFitClients();
        if (succeeded) {
            publish(current.withParameters(current.version() + 1, outcome.parameters().get()));
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
                outcome.meanTrainLoss(), federatedAccuracy, roundNanos, evalNanos, bytesIn0, bytesOut0);
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
        Envelope task = Envelope.newBuilder().setEvaluateTask(EvaluateTask.newBuilder()
                .setRound(round)
                .setModelVersion(current.version())
                .setBatchSize(plan.batchSize())
                .setDeadlineUnixMs(deadline)
                .setModel(broadcastHeader)).build();
        for (String id : ids) {
            Optional<Channel> ch = state.registry.get(id).map(ClientSession::channel).filter(Channel::isActive);
            if (ch.isEmpty()) {
                evaluation.clientFailed(id, "disconnected before the task was sent");
                continue;
            }
            ch.get().write(task);
            broadcast.writeTo(ch.get());
            ch.get().flush();
        }
        evaluation.awaitAnswers();
        List<Failure> failures = new ArrayList<>();
        List<EvaluateResult> results = evaluation.close(failures);
        return strategy.aggregateEvaluate(round, results, failures).map(Evaluation::accuracy).orElse(Double.NaN);
    }

    private void publish(GlobalModel next) {
        OutgoingTransfer old = broadcast;
        broadcast = encode(next);
        old.release();
        model = next;
        if (checkpointDir != null) {
            checkpoint(next);
        }
    }

    private OutgoingTransfer encode(GlobalModel m) {
        OutgoingTransfer t = OutgoingTransfer.ofBytes(MODEL_TRANSFER_BIT | m.version(), m.encode(),
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
                        long bytesIn0, long bytesOut0) {
        RoundRecord r = new RoundRecord(round, succeeded, m.version(), selected, accepted, failures,
                eval == null ? Double.NaN : eval.accuracy(), eval == null ? Double.NaN : eval.loss(), trainLoss,
                federatedAccuracy, roundNanos / 1e9, evalNanos / 1e9,
                state.traffic.bytesIn() - bytesIn0, state.traffic.bytesOut() - bytesOut0);
        history.add(r);
        listener.roundFinished(r);
        log.info("round {}: {} of {} updates, test accuracy {}, {} s", round, accepted, selected,
                eval == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.4f", eval.accuracy()),
                String.format(java.util.Locale.ROOT, "%.2f", roundNanos / 1e9));
    }
}
