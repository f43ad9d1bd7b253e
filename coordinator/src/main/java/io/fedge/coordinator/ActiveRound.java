package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.compression.UpdateCodec;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state of the training round in progress: who was selected, who announced, uploaded, was
 * accepted or failed, and the strategy's aggregation. Event loops call {@link #announce} and
 * {@link #clientFailed}; verified uploads are folded by {@link #fold} on the single aggregation
 * thread, which is also the only thread that touches the {@link FitAggregation}.
 */
final class ActiveRound {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ActiveRound.class);
    private enum Status { SELECTED, ANNOUNCED, UPLOADED, ACCEPTED, FAILED }

    final long round;
    final long modelVersion;
    final FitInstructions instructions;
    final UpdateCodec codec;
    final int parameterCount;
    /** The most parameters one update chunk may encode: bounds the scratch of {@link #fold}. */
    final int maxChunkElements;
    final long deadlineMillis;

    /** The strategy's aggregation; a secure round creates it only when the unmasked mean is ready. */
    private FitAggregation aggregation;
    /** Set once the round is over and its aggregation released: nothing folds any more. */
    private boolean released;
    private final java.util.function.Supplier<FitAggregation> aggregationFactory;
    /** The round's secure aggregation, or null when updates are aggregated in the clear. */
    private final SecAggAggregator secAgg;
    private double clientSecAggMillis;
    /** This round's key pair for sealed updates, or null when updates travel unsealed. */
    private final KeyPair updateKeys;
    /** Per client, how to open its announced sealed update. */
    private final Map<String, UpdateSealer.Opening> openings = new HashMap<>();
    private final RoundListener listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition settled = lock.newCondition();
    private final Map<String, Status> status = new HashMap<>();
    /** Transfers announced this round, as client id and transfer id: a replayed announcement is refused. */
    private final Set<String> transferIds = new HashSet<>();
    /**
     * Per selected client, the transfer id of its last refused announcement: the connection drops
     * that transfer's chunks, so the id may not be announced again. One per client, so a client
     * sending refused announcements with fresh ids cannot grow it.
     */
    private final Map<String, Long> lastRefused = new HashMap<>();
    private final List<Failure> failures = new ArrayList<>();
    private int outcomes;
    private int acceptedCount;
    private boolean closed;
    private double lossSum;
    private long examples;
    /** The bounds of this round's updates: examples, weight, norm; none until {@link #limits} is called. */
    private RoundLimits limits = RoundLimits.NONE;
    /** The connection each client's task went out on: only that connection's loss fails the client. */
    private final Map<String, io.netty.channel.Channel> sentOn = new HashMap<>();
    private final Map<String, Long> sentAtNanos = new HashMap<>();
    /** Per accepted client, seconds from its task going out to its update being folded in. */
    private final List<Double> responseSeconds = new ArrayList<>();
    /** Per accepted client, its update's L2 norm before clipping. */
    private final List<Double> norms = new ArrayList<>();
    private int clipped;
    /** Devices behind the accepted updates: one per update, a gateway's its contributors. */
    private long devices;

    /**
     * The bounds of one round's updates.
     *
     * @param declared examples each selected client declared when it registered (absent: unknown, unchecked)
     * @param maxWeight the most examples one update may weigh (its claim is capped to this)
     * @param clipBound the L2 norm each update is clipped to
     * @param targetAccepted the round closes as soon as this many updates are accepted (over-selection)
     * @param gateways the selected clients that are gateways: their update aggregates several devices
     *        ({@code TrainResult.contributors}), bounded by {@code maxGatewayDevices} devices of at most
     *        {@code maxExamplesPerDevice} examples each instead of by a declaration and the weight cap
     */
    record RoundLimits(Map<String, Long> declared, long maxWeight, double clipBound, int targetAccepted,
                       Set<String> gateways, int maxGatewayDevices, long maxExamplesPerDevice) {
        static final RoundLimits NONE = new RoundLimits(Map.of(), Long.MAX_VALUE, Double.POSITIVE_INFINITY,
                Integer.MAX_VALUE);

        RoundLimits(Map<String, Long> declared, long maxWeight, double clipBound, int targetAccepted) {
            this(declared, maxWeight, clipBound, targetAccepted, Set.of(), 0, maxWeight);
        }

        RoundLimits {
            declared = Map.copyOf(declared);
            gateways = Set.copyOf(gateways);
        }

        /** The most examples an update of {@code clientId} aggregating {@code contributors} devices may weigh. */
        long weightCap(String clientId, int contributors) {
            if (!gateways.contains(clientId)) {
                return maxWeight;
            }
            return Math.multiplyHigh(Math.max(1, contributors), maxExamplesPerDevice) != 0 ? Long.MAX_VALUE
                    : Math.max(1, contributors) * maxExamplesPerDevice;
        }
    }

    ActiveRound(long round, long modelVersion, FitInstructions instructions, UpdateCodec codec, int parameterCount,
                int maxChunkElements, long deadlineMillis, List<String> selected, FitAggregation aggregation,
                RoundListener listener, KeyPair updateKeys, SecAggAggregator secAgg) {
        this(round, modelVersion, instructions, codec, parameterCount, maxChunkElements, deadlineMillis, selected,
                () -> aggregation, listener, updateKeys, secAgg);
        this.aggregation = aggregation;
    }

    /** With the strategy's aggregation made on first use: a secure round needs it only once the mean is unmasked. */
    ActiveRound(long round, long modelVersion, FitInstructions instructions, UpdateCodec codec, int parameterCount,
                int maxChunkElements, long deadlineMillis, List<String> selected,
                java.util.function.Supplier<FitAggregation> aggregationFactory,
                RoundListener listener, KeyPair updateKeys, SecAggAggregator secAgg) {
        this.aggregationFactory = aggregationFactory;
        this.updateKeys = updateKeys;
        this.secAgg = secAgg;
        this.round = round;
        this.modelVersion = modelVersion;
        this.instructions = instructions;
        this.codec = codec;
        this.parameterCount = parameterCount;
        this.maxChunkElements = maxChunkElements;
        this.deadlineMillis = deadlineMillis;

        this.listener = listener;
        for (String id : selected) {
            status.put(id, Status.SELECTED);
        }
    }

    int selectedCount() {
        return status.size();
    }

    /** Sets the round's bounds; called before any task goes out. */
    void limits(RoundLimits limits) {
        lock.lock();
        try {
            this.limits = limits;
        } finally {
            lock.unlock();
        }
    }

    /** Records that the client's task went out on {@code channel}. */
    void taskSent(String clientId, io.netty.channel.Channel channel) {
        lock.lock();
        try {
            if (status.containsKey(clientId)) {
                sentOn.put(clientId, channel);
                sentAtNanos.put(clientId, System.nanoTime());
            }
        } finally {
            lock.unlock();
        }
    }

    /** The strategy's aggregation, made on first use; only the aggregation thread calls this. */
    private FitAggregation aggregation() {
        if (released) {
            throw new IllegalStateException("round " + round + " is over: its aggregation was released");
        }
        if (aggregation == null) {
            aggregation = aggregationFactory.get();
        }
        return aggregation;
    }

    /**
     * Releases the strategy's aggregation (its spill files) once the round is over, however it
     * ended; runs on the aggregation thread after every queued fold.
     */
    void releaseAggregation() {
        lock.lock();
        try {
            closed = true; // a fold still queued is refused as late, never folded into a released aggregation
        } finally {
            lock.unlock();
        }
        released = true;
        if (aggregation != null) {
            try {
                aggregation.close();
            } catch (RuntimeException e) {
                log.warn("round {}: releasing the aggregation failed: {}", round, e.toString());
            }
            aggregation = null; // the round stays reachable until the next one: its accumulator need not
        }
    }

    /** The round's secure aggregation, or null. */
    SecAggAggregator secAgg() {
        return secAgg;
    }

    /** The clients selected for the round. */
    List<String> selectedIds() {
        lock.lock();
        try {
            return List.copyOf(status.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** Whether the client has failed this round (or was never in it). */
    boolean hasFailed(String clientId) {
        lock.lock();
        try {
            Status s = status.get(clientId);
            return s == null || s == Status.FAILED;
        } finally {
            lock.unlock();
        }
    }

    /** The mean, over accepted clients, of the milliseconds each reported spending on secure aggregation. */
    double meanClientSecAggMillis() {
        lock.lock();
        try {
            int n = 0;
            for (Status s : status.values()) {
                n += s == Status.ACCEPTED ? 1 : 0;
            }
            return n == 0 ? Double.NaN : clientSecAggMillis / n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks a client's announcement of its update against the round, and records it.
     *
     * @throws FedgeException naming why the result is refused: wrong round, late, not selected,
     *     duplicate or replayed, stale model, wrong codec, wrong shape or impossible length
     */
    void announce(String clientId, TrainResult result) {
        TransferHeader h = result.getUpdate();
        lock.lock();
        try {
            check(clientId, result, h);
        } catch (FedgeException e) {
            if (status.get(clientId) == Status.SELECTED && e.code() != ErrorCode.DUPLICATE_RESULT) {
                lastRefused.put(clientId, h.getTransferId());
            }
            throw e;
        } finally {
            lock.unlock();
        }
    }

    /** The checks of {@link #announce}, under the lock; records the announcement if it passes. */
    private void check(String clientId, TrainResult result, TransferHeader h) {
        if (result.getRound() != round) {
            throw new FedgeException(ErrorCode.WRONG_ROUND, "result for round " + result.getRound()
                    + ", the current round is " + round);
        }
        if (closed) {
            throw new FedgeException(ErrorCode.LATE_RESULT, "round " + round + " is closed");
        }
        Status s = status.get(clientId);
        if (s == null) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, clientId + " was not selected for round " + round);
        }
        // accepted transfer ids are remembered (at most one per selected client), refused ones only
        // the last, so a client sending refused announcements with fresh ids cannot grow either
        if (s != Status.SELECTED || transferIds.contains(clientId + '/' + h.getTransferId())
                || Long.valueOf(h.getTransferId()).equals(lastRefused.get(clientId))) {
            throw new FedgeException(ErrorCode.DUPLICATE_RESULT, clientId + " already reported for round " + round
                    + " (transfer " + h.getTransferId() + ")");
        }
        if (result.getModelVersion() != modelVersion) {
            throw new FedgeException(ErrorCode.STALE_MODEL, "update computed from model version "
                    + result.getModelVersion() + ", the current version is " + modelVersion);
        }
        String expected = secAgg != null ? WireProtocol.MASKED_CODEC : codec.name();
        if (!expected.equals(result.getCodec())) {
            throw new FedgeException(ErrorCode.UNSUPPORTED_CODEC, "update encoded with '" + result.getCodec()
                    + "', round " + round + " asked for '" + expected + "'");
        }
        checkShape(h);
        UpdateSealer.Opening opening = null;
        if (updateKeys != null) {
            if (result.getEphemeralPublicKey().isEmpty()) {
                throw new FedgeException(ErrorCode.MALFORMED, "round " + round
                        + " requires updates sealed to its key, and this one is not");
            }
            opening = UpdateSealer.open(updateKeys, result.getEphemeralPublicKey().toByteArray(), round,
                    clientId, h.getTransferId());
        } else if (!result.getEphemeralPublicKey().isEmpty()) {
            throw new FedgeException(ErrorCode.MALFORMED, "round " + round + " published no key to seal updates to");
        }
        if (result.getNumExamples() <= 0) {
            throw new FedgeException(ErrorCode.MALFORMED, "update reports " + result.getNumExamples() + " examples");
        }
        checkContributors(clientId, result);
        Long declared = limits.declared().get(clientId);
        if (declared != null && Long.compareUnsigned(result.getNumExamples(), declared) > 0) {
            throw new FedgeException(ErrorCode.LIMIT_EXCEEDED, "update claims "
                    + Long.toUnsignedString(result.getNumExamples()) + " examples, " + clientId
                    + " registered with " + declared);
        }
        if (!Double.isFinite(result.getLoss())) {
            throw new FedgeException(ErrorCode.NON_FINITE, "update reports a training loss of " + result.getLoss());
        }
        transferIds.add(clientId + '/' + h.getTransferId());
        status.put(clientId, Status.ANNOUNCED);
        if (opening != null) {
            openings.put(clientId, opening);
        }
    }

    /**
     * A gateway's update aggregates {@code contributors} devices: at most the coordinator's
     * per-gateway maximum, each device at least one example and at most the per-client maximum.
     * Any other client's update is its own (0 or 1).
     */
    private void checkContributors(String clientId, TrainResult result) {
        long contributors = Integer.toUnsignedLong(result.getContributors());
        if (!limits.gateways().contains(clientId)) {
            if (contributors > 1) {
                throw new FedgeException(ErrorCode.LIMIT_EXCEEDED, "update claims to aggregate " + contributors
                        + " devices, but " + clientId + " did not register as a gateway");
            }
            return;
        }
        if (contributors > limits.maxGatewayDevices()) {
            throw new FedgeException(ErrorCode.LIMIT_EXCEEDED, "gateway update aggregates " + contributors
                    + " devices, this coordinator takes at most " + limits.maxGatewayDevices() + " per gateway");
        }
        long devices = Math.max(1, contributors);
        if (Long.compareUnsigned(result.getNumExamples(), devices) < 0) {
            throw new FedgeException(ErrorCode.MALFORMED, "gateway update claims " + result.getNumExamples()
                    + " examples from " + devices + " devices");
        }
        long cap = limits.weightCap(clientId, (int) devices);
        if (Long.compareUnsigned(result.getNumExamples(), cap) > 0) {
            throw new FedgeException(ErrorCode.LIMIT_EXCEEDED, "gateway update claims "
                    + Long.toUnsignedString(result.getNumExamples()) + " examples from " + devices
                    + " devices, at most " + limits.maxExamplesPerDevice() + " per device");
        }
    }

    private void checkShape(TransferHeader h) {
        if (h.getElementCount() != parameterCount) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH, "update has " + h.getElementCount()
                    + " parameters, the model has " + parameterCount);
        }
        int perChunk = h.getElementsPerChunk();
        if (perChunk <= 0 || perChunk > maxChunkElements) {
            throw new FedgeException(ErrorCode.MALFORMED, "elements_per_chunk must be in [1, " + maxChunkElements
                    + "]: " + perChunk);
        }
        long chunks = (parameterCount + (long) perChunk - 1) / perChunk;
        if (h.getChunkCount() != chunks) {
            throw new FedgeException(ErrorCode.MALFORMED, h.getChunkCount() + " chunks cannot carry "
                    + parameterCount + " parameters at " + perChunk + " per chunk");
        }
        int sealing = updateKeys == null ? 0 : UpdateSealer.TAG_BYTES;
        if (secAgg != null) {
            long exact = secAgg.maskedBytes() + chunks * sealing;
            if (h.getTotalLength() != exact) {
                throw new FedgeException(ErrorCode.SHAPE_MISMATCH, "a masked update of " + parameterCount
                        + " parameters is " + exact + " bytes, not " + h.getTotalLength());
            }
            return;
        }
        long maxBytes = 0;
        for (long c = 0; c < chunks; c++) {
            maxBytes += codec.maxEncodedBytes((int) Math.min(perChunk, parameterCount - c * perChunk)) + sealing;
        }
        if (h.getTotalLength() > maxBytes) {
            throw new FedgeException(ErrorCode.TRANSFER_TOO_LONG, "update announces " + h.getTotalLength()
                    + " bytes, codec " + codec.name() + " needs at most " + maxBytes);
        }
    }

    /** Marks that the client's announced transfer arrived whole and verified. */
    void uploaded(String clientId) {
        lock.lock();
        try {
            if (status.get(clientId) == Status.ANNOUNCED) {
                status.put(clientId, Status.UPLOADED);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Opens chunk {@code seq} of the client's announced update as it arrives, on the connection's
     * event loop, so each chunk is decrypted once and the staged update holds plaintext; returns
     * {@code data} itself in a round without sealing.
     *
     * @throws FedgeException with {@link ErrorCode#DECRYPTION_FAILED} if its tag fails, which
     *     refuses the whole update
     */
    ByteString openChunk(String clientId, int seq, ByteString data) {
        if (updateKeys == null) {
            return data;
        }
        UpdateSealer.Opening opening;
        lock.lock();
        try {
            opening = openings.get(clientId);
        } finally {
            lock.unlock();
        }
        if (opening == null) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, clientId + " announced no sealed update");
        }
        return UnsafeByteOperations.unsafeWrap(opening.open(seq, data.asReadOnlyByteBuffer()));
    }

    /**
     * Decodes, checks and folds in a verified upload (opened, if it was sealed). Runs on the aggregation thread. An update
     * holding a non-finite value or of the wrong shape is refused before any of it is folded.
     *
     * @throws FedgeException if the update is refused; the client is then marked failed
     */
    void fold(String clientId, TrainResult result, List<ByteString> chunks) {
        RoundLimits bounds;
        lock.lock();
        try {
            if (closed) {
                throw new FedgeException(ErrorCode.LATE_RESULT, "round " + round + " closed before the update was folded in");
            }
            if (status.get(clientId) != Status.UPLOADED) {
                throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, clientId + " has no verified upload in round "
                        + round + " (" + status.get(clientId) + ")");
            }
            openings.remove(clientId);
            bounds = limits;
        } finally {
            lock.unlock();
        }
        int perChunk = result.getUpdate().getElementsPerChunk();
        if (secAgg != null) {
            foldMasked(clientId, result, chunks, perChunk);
            return;
        }
        UpdateFold update = new UpdateFold(codec, chunks, perChunk, parameterCount);
        double norm;
        try {
            norm = update.checkedNorm();
        } catch (FedgeException e) {
            failUploaded(clientId, e.code() + ": " + e.getMessage());
            throw e;
        }
        double scale = UpdateFold.clipScale(norm, bounds.clipBound());
        long weight = Math.min(result.getNumExamples(), bounds.weightCap(clientId, result.getContributors()));
        FitResult fit = new FitResult(clientId, weight, result.getLoss(), result.getMetricsMap(),
                Duration.ofMillis(result.getDurationMs()));
        aggregation().accept(fit, update.scaled(scale));
        lock.lock();
        try {
            norms.add(norm);
            if (scale < 1.0) {
                clipped++;
            }
        } finally {
            lock.unlock();
        }
        if (scale < 1.0) {
            listener.updateClipped(round, clientId, norm, bounds.clipBound());
        }
        accepted(clientId, result);
    }

    /** Books a folded update: its loss, its examples, its client's secure-aggregation time, and the client's success. */
    private void accepted(String clientId, TrainResult result) {
        lock.lock();
        try {
            lossSum += result.getLoss() * result.getNumExamples();
            examples += result.getNumExamples();
            devices += Math.max(1, Integer.toUnsignedLong(result.getContributors()));
            clientSecAggMillis += result.getMetricsOrDefault(WireProtocol.METRIC_SECAGG_CLIENT_MILLIS, 0.0);
            Long sent = sentAtNanos.get(clientId);
            if (sent != null) {
                responseSeconds.add((System.nanoTime() - sent) / 1e9);
            }
            acceptedCount++;
            settle(clientId, Status.ACCEPTED, null);
            if (acceptedCount >= limits.targetAccepted()) {
                settled.signalAll();
            }
        } finally {
            lock.unlock();
        }
        listener.clientFinished(round, clientId, true);
    }

    private void foldMasked(String clientId, TrainResult result, List<ByteString> chunks, int perChunk) {
        List<java.nio.ByteBuffer> raw = new ArrayList<>(chunks.size());
        for (ByteString c : chunks) {
            raw.add(c.asReadOnlyByteBuffer()); // no copy: the staged upload is summed in place
        }
        try {
            // the words cap the weight as the client did (min(n, weight_cap)), and the cap already holds the round's limits
            secAgg.foldBuffers(clientId, result.getNumExamples(), raw, perChunk);
        } catch (FedgeException e) {
            failUploaded(clientId, e.getMessage());
            throw e;
        }
        accepted(clientId, result);
    }

    /**
     * Records that a selected client will not contribute (disconnected, refused, timed out).
     * Does nothing for clients that were not selected or whose update was already folded.
     */
    void clientFailed(String clientId, String reason) {
        fail(clientId, reason, false);
    }

    /**
     * The client's connection {@code channel} was lost. Fails the client only if its task went out
     * on that connection (or none went out yet and the connection was still the client's registered
     * one) and its update is not already verified: the late
     * {@code channelInactive} of a connection the client has replaced must not fail it on its new one.
     */
    void connectionLost(String clientId, io.netty.channel.Channel channel, boolean stillRegistered, String reason) {
        lock.lock();
        try {
            io.netty.channel.Channel sent = sentOn.get(clientId);
            if (sent != null ? sent != channel : !stillRegistered) {
                return; // the client has moved to a newer connection, where its task went or will go
            }
        } finally {
            lock.unlock();
        }
        fail(clientId, reason, false);
    }

    /** A verified upload that the aggregation refused (non-finite, bad masked words). */
    private void failUploaded(String clientId, String reason) {
        fail(clientId, reason, true);
    }

    private void fail(String clientId, String reason, boolean evenIfUploaded) {
        boolean changed;
        lock.lock();
        try {
            Status s = status.get(clientId);
            // once an upload is verified, only its fold decides: a client's Error or a dropped
            // connection cannot take back an update that is being folded in
            changed = (evenIfUploaded || s != Status.UPLOADED) && settle(clientId, Status.FAILED, reason);
        } finally {
            lock.unlock();
        }
        if (changed) {
            listener.clientFinished(round, clientId, false);
        }
    }

    /** Whether the client's update is past the point where a disconnect can lose it. */
    boolean isUploaded(String clientId) {
        lock.lock();
        try {
            Status s = status.get(clientId);
            return s == Status.UPLOADED || s == Status.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    private boolean settle(String clientId, Status to, String reason) {
        Status s = status.get(clientId);
        if (s == null || s == Status.ACCEPTED || s == Status.FAILED || closed) {
            return false;
        }
        status.put(clientId, to);
        if (to == Status.FAILED) {
            failures.add(new Failure(clientId, reason));
        }
        outcomes++;
        if (outcomes == status.size()) {
            settled.signalAll();
        }
        return true;
    }

    /** Waits until every selected client succeeded or failed, or the deadline passed. */
    void awaitOutcomes() throws InterruptedException {
        lock.lock();
        try {
            long remaining = deadlineMillis - System.currentTimeMillis();
            while (outcomes < status.size() && acceptedCount < limits.targetAccepted() && remaining > 0) {
                settled.await(remaining, TimeUnit.MILLISECONDS);
                remaining = deadlineMillis - System.currentTimeMillis();
            }
        } finally {
            lock.unlock();
        }
    }

    /** What a closed round produced. */
    record Outcome(Optional<float[]> parameters, int accepted, List<Failure> failures, double meanTrainLoss) {
    }

    /** The pre-clip L2 norms of the updates accepted so far. */
    double[] acceptedNorms() {
        lock.lock();
        try {
            return norms.stream().mapToDouble(Double::doubleValue).toArray();
        } finally {
            lock.unlock();
        }
    }

    /** Devices behind the accepted updates (a plain round's): a gateway's counts its contributors. */
    long devices() {
        lock.lock();
        try {
            return devices;
        } finally {
            lock.unlock();
        }
    }

    /** Examples behind the accepted updates (a plain round's). */
    long examples() {
        lock.lock();
        try {
            return examples;
        } finally {
            lock.unlock();
        }
    }

    /** How many accepted updates were clipped. */
    int clippedCount() {
        lock.lock();
        try {
            return clipped;
        } finally {
            lock.unlock();
        }
    }

    /** Seconds from task to folded update, per accepted client. */
    double[] responseSeconds() {
        lock.lock();
        try {
            return responseSeconds.stream().mapToDouble(Double::doubleValue).toArray();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the round: clients that have not delivered fail with "deadline", later results are
     * refused, and the aggregation finishes. Runs on the aggregation thread, after every fold
     * queued before it.
     */
    Outcome close() {
        List<Failure> all = closeUploads();
        Optional<float[]> params = aggregation().finish(all);
        return new Outcome(params, aggregation().accepted(), all, meanTrainLoss());
    }

    /** Closes the round to further results; returns every failure. */
    List<Failure> closeUploads() {
        List<Failure> all;
        lock.lock();
        try {
            for (Map.Entry<String, Status> e : status.entrySet()) {
                Status s = e.getValue();
                if (s != Status.ACCEPTED && s != Status.FAILED) {
                    failures.add(new Failure(e.getKey(), acceptedCount >= limits.targetAccepted()
                            ? "not needed: the round closed at its first " + limits.targetAccepted() + " updates"
                            : "no verified update before the deadline (" + describe(s) + ")"));
                    e.setValue(Status.FAILED);
                }
            }
            closed = true;
            all = List.copyOf(failures);
        } finally {
            lock.unlock();
        }
        return all;
    }

    private static String describe(Status s) {
        return switch (s) {
            case SELECTED -> "no result announced";
            case ANNOUNCED -> "upload not complete";
            case UPLOADED -> "upload not yet folded";
            default -> s.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /**
     * Ids of the selected clients that held the round up: they missed the deadline, or stalled an
     * admitted upload until its progress deadline.
     */
    List<String> silentClients() {
        lock.lock();
        try {
            List<String> out = new ArrayList<>();
            for (Failure f : failures) {
                // both held the round up: one until the deadline, the other a progress period with the upload budget
                if (f.reason().startsWith("no verified update before the deadline")
                        || f.reason().startsWith(ErrorCode.TRANSFER_STALLED.name())) {
                    out.add(f.clientId());
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    private double meanTrainLoss() {
        lock.lock();
        try {
            return examples == 0 ? Double.NaN : lossSum / examples;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Finishes a securely aggregated round: the unmasked weighted mean goes into the strategy's
     * aggregation as one update weighted by the survivors' examples.
     */
    Outcome finishSecure(SecAggAggregator.Result result, List<Failure> failures) {
        float[] mean = result.meanDelta();
        FitResult fit = new FitResult(FitResult.SECURE_AGGREGATE, result.totalWeight(), meanTrainLoss(), Map.of(),
                Duration.ZERO);
        aggregation().accept(fit, visitor -> {
            int block = Math.max(1, maxChunkElements);
            float[] scratch = new float[Math.min(block, mean.length)];
            for (int offset = 0; offset < mean.length; offset += block) {
                int n = Math.min(block, mean.length - offset);
                System.arraycopy(mean, offset, scratch, 0, n);
                visitor.visit(offset, scratch, n);
            }
        });
        Optional<float[]> params = aggregation().finish(failures);
        return new Outcome(params, result.survivors(), failures, meanTrainLoss());
    }

    /** A securely aggregated round that aborted: nothing is aggregated and the model stays. */
    Outcome abortSecure(List<Failure> failures) {
        return new Outcome(Optional.empty(), 0, failures, meanTrainLoss());
    }
}
