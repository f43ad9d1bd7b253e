package io.fedge.coordinator;

import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.FitPlan;
import io.fedge.aggregation.PartialMean;
import io.fedge.aggregation.Sampling;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.Fp32Codec;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The downstream half of a gateway: a server that speaks the coordinator's protocol to a site's
 * devices (a device cannot tell it from a coordinator), and runs one round among them for each task
 * its gateway receives from upstream. A round selects among the connected devices, sends each its
 * task signed with the gateway's own key and the model (downloaded upstream once for the whole
 * site), folds their updates as they stream in with the coordinator's checks and bounds
 * ({@link TrainingRound}: O(model) memory whatever the number of devices), and answers with the
 * {@link SiteAggregate}: the example-weighted mean of the accepted updates, the examples and devices
 * behind it. Under secure aggregation the site's devices mask their updates among themselves, so
 * the gateway learns only its site's sum.
 *
 * <pre>{@code
 * SiteServer site = SiteServer.builder()
 *         .bind(new InetSocketAddress(7071))
 *         .tls(gatewayServerContext)
 *         .modelSigningKey(gatewayKey)
 *         .build().start();
 * SiteAggregate partial = site.train(new SiteTask(round, model, epochs, batch, lr, local, seed, deadline));
 * }</pre>
 *
 * <p>{@link #train} and {@link #evaluate} run one at a time (they are synchronized); the rest is
 * thread-safe.
 */
public final class SiteServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SiteServer.class);
    /** The least time left for the site's round before the upstream deadline, for the upload upstream. */
    private static final long MIN_UPLOAD_MARGIN_MILLIS = 1_000;

    private final String name;
    private final InetSocketAddress bindAddress;
    private final int ioThreads;
    private final CoordinatorState state;
    private final Sampling sampling;
    private final String deviceCodec;
    private final Duration maxRoundTime;
    private final TrainingRound training;
    private final ClientEligibility eligibility;
    private final FedAvg selection;
    private ProtocolServer server;
    private ModelBroadcast broadcast;
    /** The median update norm of the site's last round, for adaptive clipping. */
    private double clipMedian = Double.NaN;
    private final AtomicReference<SiteAggregate> last = new AtomicReference<>();
    private volatile boolean closed;

    private SiteServer(Builder b) {
        this.name = b.name;
        this.bindAddress = b.bindAddress;
        this.ioThreads = b.ioThreads;
        CoordinatorLimits limits = new CoordinatorLimits(WireProtocol.DEFAULT_MAX_FRAME_BYTES,
                WireProtocol.DEFAULT_CHUNK_BYTES, 1 << 16, WireProtocol.DEFAULT_UPDATE_CHUNK_ELEMENTS,
                WireProtocol.DEFAULT_CHUNK_BYTES, 10_000, 60_000, 10_000, 500, 2_000, 30_000);
        ConnectionLimits connections = new ConnectionLimits(b.maxConnections, ConnectionLimits.DEFAULT_INBOUND_BYTES_PER_SECOND,
                ConnectionLimits.DEFAULT_INBOUND_BYTE_BURST, ConnectionLimits.DEFAULT_SLOW_READER_MILLIS,
                ConnectionLimits.DEFAULT_MAX_PENDING_OUTBOUND_BYTES, ConnectionLimits.DEFAULT_WRITE_BUFFER_LOW,
                ConnectionLimits.DEFAULT_WRITE_BUFFER_HIGH);
        this.state = new CoordinatorState(limits, new AggregationExecutor(), b.codecs, b.tls, b.modelSigningKey,
                b.sealUpdates, b.secureAggregation, false, 0, connections, b.revocationList);
        state.bounds = b.bounds;
        this.sampling = b.sampling;
        this.deviceCodec = b.deviceCodec;
        this.maxRoundTime = b.maxRoundTime;
        this.selection = new FedAvg(sampling);
        this.training = new TrainingRound(state, new RoundListener() { });
        this.eligibility = new ClientEligibility(state, selection);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the devices' socket.
     *
     * @throws IllegalStateException if already started or closed
     */
    public synchronized SiteServer start() throws InterruptedException {
        if (server != null || closed) {
            throw new IllegalStateException(closed ? "site server is closed" : "site server already started");
        }
        server = ProtocolServer.bind(state, bindAddress, ioThreads, "gateway " + name);
        return this;
    }

    /** The address the devices connect to (useful with port 0). */
    public InetSocketAddress localAddress() {
        ProtocolServer s = server;
        if (s == null) {
            throw new IllegalStateException("site server not started");
        }
        return s.localAddress();
    }

    /** Devices registered now. */
    public int connectedDevices() {
        return state.registry.size();
    }

    /** The examples the registered devices declared, summed: what the gateway declares upstream. */
    public long declaredExamples() {
        long sum = 0;
        for (ClientInfo c : state.registry.available()) {
            sum += c.numExamples();
        }
        return sum;
    }

    /** Waits until at least {@code devices} devices are registered; false if the timeout passed first. */
    public boolean awaitDevices(int devices, long timeout, TimeUnit unit) throws InterruptedException {
        long until = System.nanoTime() + unit.toNanos(timeout);
        while (!state.registry.awaitAtLeast(devices, Math.max(1, Math.min(200,
                TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()))))) {
            if (System.nanoTime() >= until || closed) {
                return false;
            }
        }
        return true;
    }

    /** The last aggregate the site produced, if any (for status and tests). */
    public Optional<SiteAggregate> lastAggregate() {
        return Optional.ofNullable(last.get());
    }

    /** Bytes received from and sent to devices so far, on the wire. */
    public long bytesFromDevices() {
        return state.traffic.bytesIn();
    }

    public long bytesToDevices() {
        return state.traffic.bytesOut();
    }

    /**
     * Runs the site's round for {@code task}: its devices train the task's model with its
     * instructions and seed, and their accepted updates come back as one example-weighted mean.
     *
     * @throws FedgeException with a one-line reason if the site cannot produce an aggregate: no
     *     time left before the task's deadline, too few devices connected, or too few updates
     *     accepted (the reason names why each device did not count)
     */
    public synchronized SiteAggregate train(SiteTask task) throws InterruptedException {
        requireStarted();
        long deadline = siteDeadline(task.deadlineUnixMs());
        GlobalModel model = task.model();
        publish(model);
        FitInstructions instructions = new FitInstructions(task.localEpochs(), task.batchSize(), task.learningRate(),
                deviceCodec, task.local());
        Sampling now = sampling.withInstructions(instructions);
        List<ClientInfo> eligible = eligibility.eligible(task.round()).stream()
                .filter(c -> Sampling.eligible(c, instructions)).toList();
        Random rng = new Random(task.seed() ^ (task.round() * 0x9E3779B97F4A7C15L));
        FitPlan plan = now.configureFit(task.round(), eligible, rng);
        if (plan.clients().size() < now.minAcceptedUpdates()) {
            throw new FedgeException(ErrorCode.INTERNAL, "gateway " + name + " has " + plan.clients().size()
                    + " eligible devices of " + state.registry.size() + " connected, " + now.minAcceptedUpdates()
                    + " needed for a site round");
        }
        long t0 = System.nanoTime();
        PartialMean[] fold = new PartialMean[1];
        TrainingRound.Exchange exchange;
        try {
            exchange = training.run(task.round(), model, plan, task.seed(), deadline, broadcast, () -> {
                fold[0] = new PartialMean(task.local().updateLength(model.parameterCount()));
                return fold[0];
            }, false, clipMedian, () -> closed);
        } catch (ExecutionException e) {
            throw new FedgeException(ErrorCode.INTERNAL, "gateway " + name + " round " + task.round()
                    + " failed: " + e.getCause());
        }
        ActiveRound.Outcome outcome = exchange.outcome();
        if (!exchange.secure()) {
            double median = NormClip.median(exchange.active().acceptedNorms());
            if (!Double.isNaN(median)) {
                clipMedian = median;
            }
        }
        for (io.fedge.aggregation.Failure f : outcome.failures()) {
            log.info("gateway {} round {}: device {} did not count: {}", name, task.round(), f.clientId(), f.reason());
        }
        Optional<float[]> mean = outcome.parameters();
        if (mean.isEmpty() || outcome.accepted() < now.minAcceptedUpdates() || fold[0] == null) {
            throw new FedgeException(ErrorCode.INTERNAL, "gateway " + name + " round " + task.round() + ": "
                    + outcome.accepted() + " of " + exchange.ids().size() + " device updates accepted, "
                    + now.minAcceptedUpdates() + " needed" + firstFailure(outcome));
        }
        long devices = exchange.secure() ? outcome.accepted() : exchange.active().devices();
        long examples = Math.max(1, Math.round(fold[0].totalWeight()));
        SiteAggregate result = new SiteAggregate(task.round(), model.version(), mean.get(), examples, devices,
                exchange.ids().size(), outcome.meanTrainLoss(), outcome.failures());
        last.set(result);
        log.info("gateway {} round {} (model {}): {} of {} devices, {} examples, {} s", name, task.round(),
                model.version(), devices, exchange.ids().size(), examples,
                String.format(Locale.ROOT, "%.2f", (System.nanoTime() - t0) / 1e9));
        return result;
    }

    private static String firstFailure(ActiveRound.Outcome outcome) {
        return outcome.failures().isEmpty() ? "" : " (" + outcome.failures().get(0).clientId() + ": "
                + outcome.failures().get(0).reason() + (outcome.failures().size() > 1
                ? "; and " + (outcome.failures().size() - 1) + " more" : "") + ")";
    }

    /**
     * Asks the site's devices to evaluate {@code model} on their own data; the combined
     * evaluation weighs each device by its examples (empty when no device answered).
     */
    public synchronized Optional<Evaluation> evaluate(long round, GlobalModel model, long deadlineUnixMs)
            throws InterruptedException {
        requireStarted();
        long deadline = siteDeadline(deadlineUnixMs);
        publish(model);
        Random rng = new Random(round * 0x9E3779B97F4A7C15L + model.version());
        return new FederatedEvaluation(state, selection, broadcast).run(round, model,
                Math.max(1, deadline - System.currentTimeMillis()), rng);
    }

    /** The site round's deadline: the upstream one less the time to send the aggregate up, and at most maxRoundTime. */
    private long siteDeadline(long upstreamDeadline) {
        long now = System.currentTimeMillis();
        long left = upstreamDeadline - now;
        long margin = Math.max(MIN_UPLOAD_MARGIN_MILLIS, left / 10);
        if (left - margin <= 0) {
            throw new FedgeException(ErrorCode.LATE_RESULT, "gateway " + name + ": the task's deadline leaves "
                    + Math.max(0, left) + " ms, too little for a site round and the upload upstream");
        }
        return Math.min(now + left - margin, now + maxRoundTime.toMillis());
    }

    private void publish(GlobalModel model) {
        if (broadcast == null) {
            broadcast = new ModelBroadcast(state, model);
        } else if (broadcast.version() != model.version()) {
            broadcast.publish(model);
        }
    }

    private void requireStarted() {
        if (server == null || closed) {
            throw new IllegalStateException(closed ? "site server is closed" : "site server not started");
        }
    }

    /** Says goodbye to the devices ({@code GOING_AWAY}: they reconnect with backoff) and stops. */
    @Override
    public void close() {
        stop(io.fedge.comm.proto.ByeCode.GOING_AWAY, "gateway " + name + " going away");
    }

    /** The upstream federation is over: tells the devices so ({@code FEDERATION_FINISHED}: they stop) and stops. */
    public void finish() {
        stop(io.fedge.comm.proto.ByeCode.FEDERATION_FINISHED, "the federation is finished");
    }

    private void stop(io.fedge.comm.proto.ByeCode code, String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (state.revocation != null) {
            state.revocation.close();
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (io.netty.channel.ChannelFuture f : state.registry.closeAll(code, reason)) {
            long left = until - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left) + 1)) {
                break;
            }
        }
        ProtocolServer s = server;
        if (s != null) {
            s.close();
        }
        state.aggregationExecutor.shutdownNow();
        if (broadcast != null) {
            broadcast.release();
        }
    }

    private static Sampling siteSelection(double fraction, int minSelected, int minAccepted) {
        // the instructions are the task's (train() replaces these); the selection is the gateway's
        return Sampling.builder().fractionFit(fraction).minFitClients(minSelected)
                .minAvailableClients(Math.max(minSelected, minAccepted))
                .minAcceptedUpdates(minAccepted).evaluateOnClients(1.0, 1, 256)
                .instructions(new FitInstructions(1, 32, 0.01, Fp32Codec.NAME)).buildSampling();
    }

    /** A builder of a site server. */
    public static final class Builder {
        private String name = "gateway";
        private InetSocketAddress bindAddress = new InetSocketAddress(7071);
        private int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());
        private SslContext tls;
        private io.fedge.comm.tls.RevocationList revocationList;
        private PrivateKey modelSigningKey;
        private CodecRegistry codecs = CodecRegistry.defaultRegistry();
        private String deviceCodec = Fp32Codec.NAME;
        private Sampling sampling = siteSelection(1.0, 1, 1);
        private boolean sealUpdates = true;
        private SecureAggregation secureAggregation;
        private UpdateBounds bounds = UpdateBounds.defaults();
        private int maxConnections = ConnectionLimits.DEFAULT_MAX_CONNECTIONS;
        private Duration maxRoundTime = Duration.ofHours(1);

        private Builder() {
        }

        /** The gateway's name in log lines (its id upstream). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where devices connect; default all interfaces, port 7071. Port 0 picks a free port. */
        public Builder bind(InetSocketAddress address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        public Builder ioThreads(int threads) {
            if (threads <= 0) {
                throw new IllegalArgumentException("ioThreads must be positive: " + threads);
            }
            this.ioThreads = threads;
            return this;
        }

        /** Mutual TLS with the devices: the gateway's certificate as the server's, devices' required. */
        public Builder tls(SslContext context) {
            this.tls = context;
            return this;
        }

        public Builder revocationList(io.fedge.comm.tls.RevocationList list) {
            this.revocationList = list;
            return this;
        }

        /**
         * The gateway's own Ed25519 key: it signs the tasks and models its devices get, and they pin
         * its public half. Without one (plain local experiments) nothing is signed.
         */
        public Builder modelSigningKey(PrivateKey key) {
            this.modelSigningKey = key;
            return this;
        }

        public Builder codecs(CodecRegistry codecs) {
            this.codecs = Objects.requireNonNull(codecs, "codecs");
            return this;
        }

        /** The codec devices encode their updates with (this tier's; upstream the coordinator chooses). */
        public Builder deviceCodec(String codec) {
            this.deviceCodec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /**
         * Whom a site round selects: {@code fraction} of the connected devices, at least
         * {@code minSelected}; it produces an aggregate only with at least {@code minAccepted}
         * accepted updates. Default every connected device, at least one. Every device evaluates.
         */
        public Builder selection(double fraction, int minSelected, int minAccepted) {
            this.sampling = siteSelection(fraction, minSelected, minAccepted);
            return this;
        }

        public Builder sealUpdates(boolean seal) {
            this.sealUpdates = seal;
            return this;
        }

        /** Secure aggregation among the site's devices: the gateway learns only their sum. */
        public Builder secureAggregation(SecureAggregation config) {
            this.secureAggregation = config;
            return this;
        }

        public Builder updateBounds(UpdateBounds bounds) {
            this.bounds = Objects.requireNonNull(bounds, "bounds");
            return this;
        }

        public Builder maxConnections(int connections) {
            if (connections < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1: " + connections);
            }
            this.maxConnections = connections;
            return this;
        }

        /** The longest a site round may take, whatever the upstream deadline; default one hour. */
        public Builder maxRoundTime(Duration time) {
            if (time.isNegative() || time.isZero()) {
                throw new IllegalArgumentException("maxRoundTime must be positive: " + time);
            }
            this.maxRoundTime = time;
            return this;
        }

        /**
         * @throws IllegalStateException if the device codec is unknown,
         *     or secure aggregation is asked with a lossy codec or fewer than its minimum devices
         */
        public SiteServer build() {
            try {
                codecs.get(deviceCodec);
            } catch (FedgeException e) {
                throw new IllegalStateException("device codec '" + deviceCodec + "': " + e.getMessage());
            }
            if (secureAggregation != null) {
                if (!codecs.get(deviceCodec).name().equals(Fp32Codec.NAME)) {
                    throw new IllegalStateException("codec '" + deviceCodec + "' cannot run under secure aggregation; "
                            + "use fp32 for the devices' updates");
                }
                if (sampling.minFitClients() < SecAggAggregator.MIN_CLIENTS) {
                    throw new IllegalStateException("secure aggregation needs at least " + SecAggAggregator.MIN_CLIENTS
                            + " devices per site round; the sampling selects at least " + sampling.minFitClients());
                }
            }
            if (sampling.minAcceptedUpdates() > sampling.minFitClients()) {
                throw new IllegalStateException("a site round needs " + sampling.minAcceptedUpdates()
                        + " accepted updates but selects at least " + sampling.minFitClients() + " devices");
            }
            return new SiteServer(this);
        }
    }
}
