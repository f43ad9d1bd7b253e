package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitPlan;
import io.fedge.aggregation.Strategy;
import io.fedge.comm.LocalTrainingMessages;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.secagg.MaskedWords;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.compression.UpdateCodec;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Runs the federation's rounds on its own thread until the configured number of rounds has
 * advanced the model: waits for enough clients, asks the strategy whom to select, sends each its
 * signed task and the model, waits for updates (until every selected client settled, the first
 * {@code k} of an over-selected round were accepted, or the deadline passed), closes the
 * aggregation, checks and publishes the new model, evaluates it, makes the round durable in the
 * {@link CoordinatorStore}, and records it.
 *
 * <p>A round that fails (too few updates, a refused model, a client's input that broke the
 * round's arithmetic, an evaluator that threw) is recorded with its reason and does not count;
 * the federation goes on. Only what cannot be worked around ends it, with a one-line
 * {@link #failure()}: the state cannot be written, or too many rounds in a row failed.
 */
final class RoundLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(RoundLoop.class);
    private static final String STATE_STRATEGY = "strategy";
    private static final String STATE_CLIP = "clip-median-norm";
    private static final String STATE_DEADLINE = "deadline";

    private final CoordinatorState state;
    private final Strategy strategy;
    private final int rounds;
    private final RoundDeadline deadline;
    private final RoundEvaluations evaluations;
    private final ClientEligibility eligibility;
    private final TrainingRound training;
    private final RoundListener listener;
    private final History history;
    private final long seed;
    private final Path checkpointDir;
    private final CoordinatorStore store;
    private final int maxConsecutiveFailures;
    /** Records published versions in the registry, promotes them, and applies rollbacks. */
    private final ModelLifecycle lifecycle;
    private volatile GlobalModel model;
    private ModelBroadcast broadcast;
    private volatile boolean stopping;
    private volatile boolean finished;
    private volatile String failure;
    /** The last round attempted (committed), and how many advanced the model. */
    private long lastRound;
    private volatile int completed;
    /** The median update norm of the last round that advanced the model, for adaptive clipping. */
    private double clipMedian = Double.NaN;
    /** Exports and serves edge models, or null. */
    private EdgeModelServer edge;
    private String lastWaitReason;

    RoundLoop(CoordinatorState state, Strategy strategy, GlobalModel initial, int rounds, RoundDeadline deadline,
              ServerEvaluator evaluator, RoundListener listener, History history, long seed, Path checkpointDir,
              CoordinatorStore store, int maxConsecutiveFailures, ModelLifecycle lifecycle) {
        this.state = state;
        this.strategy = strategy;
        this.model = initial;
        this.rounds = rounds;
        this.deadline = deadline;
        this.evaluations = new RoundEvaluations(state, strategy, evaluator);
        this.eligibility = new ClientEligibility(state, strategy);
        this.training = new TrainingRound(state, listener);
        this.listener = listener;
        this.history = history;
        this.seed = seed;
        this.checkpointDir = checkpointDir;
        this.store = store;
        this.maxConsecutiveFailures = maxConsecutiveFailures;
        this.lifecycle = lifecycle;
    }

    void edgeModels(EdgeModelServer server) {
        this.edge = server;
    }

    /**
     * Picks up where the store says the federation stopped: the last committed round, its model
     * (verified), the history, the strategy's and the loop's state. Called once before {@link #run}.
     *
     * Then loads (or starts) the model registry.
     *
     * @return the number of rounds already completed
     */
    int resume() throws IOException {
        int done = resumeFromStore();
        lifecycle.start(model);
        return done;
    }

    private int resumeFromStore() throws IOException {
        if (store == null) {
            return 0;
        }
        Optional<CoordinatorStore.Resumed> r = store.resume();
        if (r.isEmpty()) {
            return 0;
        }
        CoordinatorStore.Resumed s = r.get();
        if (s.model() != null) {
            if (!s.model().configJson().equals(model.configJson())) {
                throw new FedgeException(io.fedge.core.ErrorCode.SHAPE_MISMATCH, "the stored model's architecture "
                        + "differs from this coordinator's model");
            }
            model = s.model();
        }
        lastRound = s.lastRound();
        completed = s.completedRounds();
        s.history().forEach(history::add);
        byte[] strategyState = s.state().get(STATE_STRATEGY);
        if (strategyState != null && strategyState.length > 0) {
            strategy.restoreState(strategyState);
        }
        byte[] clip = s.state().get(STATE_CLIP);
        if (clip != null && clip.length == 8) {
            clipMedian = ByteBuffer.wrap(clip).getDouble();
        }
        deadline.restore(s.state().get(STATE_DEADLINE));
        log.info("resuming after round {}: {} of {} rounds completed, model version {}", lastRound, completed, rounds,
                model.version());
        return completed;
    }

    GlobalModel model() {
        return model;
    }

    /** Rounds that advanced the model so far, resumed ones included. */
    int completedRounds() {
        return completed;
    }

    void stop() {
        stopping = true;
    }

    /** Whether the configured rounds all advanced the model. */
    boolean finished() {
        return finished;
    }

    /** Why the federation stopped before its end, if it did. */
    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public void run() {
        broadcast = new ModelBroadcast(state, model);
        int consecutiveFailures = 0;
        try {
            String exhausted = null;
            while (completed < rounds && !stopping) {
                Optional<String> spent = strategy.exhausted();
                if (spent.isPresent()) {
                    exhausted = spent.get();
                    break;
                }
                applyRollback();
                if (!awaitClients()) {
                    return;
                }
                runComparison();
                long round = lastRound + 1;
                Attempt attempt;
                try {
                    attempt = runRound(round, roundRandom(round));
                } catch (RuntimeException | ExecutionException e) {
                    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                    log.error("round {} failed, the model stays at version {}: {}", round, model.version(), cause.toString(),
                            cause);
                    attempt = new Attempt(failedRecord(round, "round failed: " + cause), null);
                }
                if (attempt == null) {
                    state.registry.awaitChange(1_000);
                    continue;
                }
                if (stopping && !attempt.record().succeeded()) {
                    return; // closed mid-round: the round is not recorded and runs again after a restart
                }
                commit(attempt);
                if (attempt.record().succeeded()) {
                    completed++;
                    consecutiveFailures = 0;
                } else if (++consecutiveFailures >= maxConsecutiveFailures) {
                    fail(consecutiveFailures + " rounds in a row failed; the last: " + attempt.record().outcome());
                    return;
                }
            }
            finished = completed >= rounds || exhausted != null;
            if (exhausted != null) {
                log.info("federation finished after {} of {} rounds, model version {}: {}", completed, rounds,
                        model.version(), exhausted);
            } else if (finished) {
                log.info("federation finished: {} rounds completed in {} attempts, model version {}", completed,
                        lastRound, model.version());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            fail("cannot make round " + (lastRound + 1) + " durable, stopping: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            log.error("the round loop failed", e);
            fail("the round loop failed: " + e);
        } finally {
            broadcast.release();
        }
    }

    private void fail(String why) {
        failure = why;
        stopping = true;
        log.error("federation stopped: {}", why);
    }

    /** The round's own random source, from the seed and the round number alone, so a resumed run selects as an uninterrupted one. */
    private Random roundRandom(long round) {
        long z = seed + round * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new Random(z ^ (z >>> 31));
    }

    private boolean awaitClients() throws InterruptedException, IOException {
        int wanted = strategy.minAvailableClients();
        long lastLog = System.currentTimeMillis();
        while (!state.registry.awaitAtLeast(wanted, 200)) {
            if (stopping) {
                return false;
            }
            applyRollback();
            if (System.currentTimeMillis() - lastLog > 10_000) {
                log.info("waiting for clients: {} of {} connected", state.registry.size(), wanted);
                lastLog = System.currentTimeMillis();
            }
        }
        return !stopping;
    }

    /** What one attempted round produced: its record, and the model it published and its registry entry (null if none). */
    private record Attempt(RoundRecord record, GlobalModel published, ModelEntry entry) {
        Attempt(RoundRecord record, GlobalModel published) {
            this(record, published, null);
        }
    }

    /** Runs a waiting A/B evaluation between rounds. */
    private void runComparison() throws IOException, InterruptedException {
        Optional<ModelLifecycle.ComparisonRequest> req = lifecycle.takeComparison();
        if (req.isEmpty()) {
            return;
        }
        ModelLifecycle.ComparisonRequest r = req.get();
        GlobalModel a;
        GlobalModel b;
        try {
            a = lifecycle.modelOf(r.a(), model);
            b = lifecycle.modelOf(r.b(), model);
        } catch (FedgeException e) {
            log.error("A/B evaluation {} cannot run: {}", r.id(), e.getMessage());
            return;
        }
        lifecycle.compared(new FederatedComparison(state).run(r.id(), lastRound, a, b, r.clients(), deadline.millis(),
                roundRandom(lastRound ^ (r.id() << 32))));
    }

    /** Publishes the copy a pending rollback asks for: the next round trains from it. */
    private void applyRollback() throws IOException {
        Optional<GlobalModel> rolled = lifecycle.applyRollback(model, lastRound);
        if (rolled.isPresent()) {
            model = rolled.get();
            broadcast.publish(model);
            state.metrics.versionPublished(model.version(), lifecycle.registry().entry(model.version())
                    .map(ModelEntry::testAccuracy).orElse(Double.NaN));
            if (edge != null) {
                edge.modelPublished(model);
            }
        }
    }

    /** Runs round {@code round}; null when too few clients are eligible to start it (nothing was sent). */
    private Attempt runRound(long round, Random rng) throws InterruptedException, ExecutionException {
        long bytesIn0 = state.traffic.bytesIn();
        long bytesOut0 = state.traffic.bytesOut();
        long t0 = System.nanoTime();
        GlobalModel current = model;
        List<ClientInfo> available = eligibility.eligible(round);
        FitPlan plan = strategy.configureFit(round, current, available, rng);
        long taskSeed = rng.nextLong();
        if (plan.clients().size() < strategy.minAcceptedUpdates()) {
            String why = "only " + plan.clients().size() + " eligible clients of " + state.registry.size()
                    + " connected, " + strategy.minAcceptedUpdates() + " needed to start round " + round;
            if (!why.equals(lastWaitReason)) {
                log.warn("waiting: {}", why);
                lastWaitReason = why;
            }
            return null;
        }
        lastWaitReason = null;
        long deadlineMillis = System.currentTimeMillis() + deadline.millis();
        TrainingRound.Exchange exchange = training.run(round, current, plan, taskSeed, deadlineMillis, broadcast,
                () -> strategy.beginFit(round, current), strategy.equalWeights(), clipMedian, () -> stopping);
        ActiveRound active = exchange.active();
        ActiveRound.Outcome outcome = exchange.outcome();
        List<String> ids = exchange.ids();
        UpdateCodec codec = exchange.codec();
        ActiveRound.RoundLimits limits = exchange.limits();
        boolean secure = exchange.secure();
        String why = null;
        Optional<float[]> next = outcome.parameters();
        if (next.isEmpty() || outcome.accepted() < strategy.minAcceptedUpdates()) {
            why = outcome.accepted() + " of " + ids.size() + " updates accepted, " + strategy.minAcceptedUpdates()
                    + " needed";
        } else {
            Optional<String> refused = ModelGuard.refuse(current.parameters(), next.get(), state.bounds.maxModelStep());
            if (refused.isPresent()) {
                why = "the new model was refused: " + refused.get();
            }
        }
        GlobalModel published = null;
        if (why == null) {
            published = current.withParameters(current.version() + 1, next.get());
            model = published;
            broadcast.publish(published);
            if (!secure) {
                double median = NormClip.median(active.acceptedNorms());
                if (!Double.isNaN(median)) {
                    clipMedian = median;
                }
            }
            deadline.observe(active.responseSeconds());
            if (active.clippedCount() > 0) {
                log.info("round {}: {} of {} updates clipped to norm {}", round, active.clippedCount(),
                        outcome.accepted(), String.format(Locale.ROOT, "%.4g", limits.clipBound()));
            }
            if (edge != null) {
                edge.roundPublished(round, published);
            }
        } else {
            log.warn("round {} failed, the model stays at version {}: {}", round, current.version(), why);
        }
        for (Failure f : outcome.failures()) {
            log.info("round {}: {} did not count: {}", round, f.clientId(), f.reason());
        }
        long roundNanos = System.nanoTime() - t0;
        long evalStart = System.nanoTime();
        Evaluation serverEval = published != null ? evaluations.server(round, published) : null;
        long evalNanos = System.nanoTime() - evalStart;
        Evaluation federated = published != null
                ? evaluations.federated(round, published, broadcast, deadline.millis(), rng) : null;
        RoundRecord r = new RoundRecord(round, published != null, model.version(), ids.size(), outcome.accepted(),
                outcome.failures().size(), serverEval == null ? Double.NaN : serverEval.accuracy(),
                serverEval == null ? Double.NaN : serverEval.loss(), outcome.meanTrainLoss(),
                federated == null ? Double.NaN : federated.accuracy(),
                roundNanos / 1e9, evalNanos / 1e9, state.traffic.bytesIn() - bytesIn0,
                state.traffic.bytesOut() - bytesOut0,
                !secure ? Double.NaN : active.meanClientSecAggMillis() / 1e3,
                !secure ? Double.NaN : active.secAgg().busyNanos() / 1e9, why, outcome.failures(),
                published != null ? strategy.roundMetrics() : Map.of(), RoundEvaluations.metrics(serverEval, federated));
        return new Attempt(r, published,
                published == null ? null : lifecycle.entryFor(r, published, current.version(), codec.name()));
    }

    private RoundRecord failedRecord(long round, String why) {
        return new RoundRecord(round, false, model.version(), 0, 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                0, 0, 0, 0, Double.NaN, Double.NaN, why, List.of());
    }

    /** Makes the round durable (store, then checkpoint), then appends it to the history and tells listeners. */
    private void commit(Attempt attempt) throws IOException {
        RoundRecord r = attempt.record();
        ModelEntry recorded = attempt.entry();
        if (store != null) {
            Map<String, byte[]> loopState = new LinkedHashMap<>();
            loopState.put(STATE_STRATEGY, strategy.state());
            loopState.put(STATE_CLIP, ByteBuffer.allocate(8).putDouble(clipMedian).array());
            loopState.put(STATE_DEADLINE, deadline.state());
            recorded = store.commitRound(r, attempt.published(), attempt.entry(), loopState);
        }
        lastRound = r.round();
        if (attempt.published() != null && checkpointDir != null) {
            ModelFile.write(checkpointDir.resolve("global-model.fgm"), attempt.published(), state.modelSigningKey);
        }
        history.add(r);
        if (recorded != null) {
            lifecycle.committed(recorded);
        }
        listener.roundFinished(r);
        log.debug("round {}: {} of {} updates, test accuracy {}, {} s{}", r.round(), r.clients(), r.selected(),
                Double.isNaN(r.testAccuracy()) ? "n/a" : String.format(Locale.ROOT, "%.4f", r.testAccuracy()),
                String.format(Locale.ROOT, "%.2f", r.roundSeconds()), r.succeeded() ? "" : " (failed: " + r.outcome() + ")");
    }
}
