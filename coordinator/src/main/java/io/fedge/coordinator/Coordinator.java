package io.fedge.coordinator;

import io.fedge.aggregation.Strategy;
import io.fedge.comm.Transports;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.secagg.SecAggAggregator;
import io.fedge.compression.Fp32Codec;
import io.fedge.core.FedgeException;
import io.fedge.compression.CodecRegistry;
import io.fedge.core.model.GlobalModel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The fedge coordinator: a Netty server that clients connect to, and the loop that runs the
 * federation's training rounds with a {@link Strategy}.
 *
 * <pre>{@code
 * try (Coordinator coordinator = Coordinator.builder()
 *         .bind(new InetSocketAddress(7070))
 *         .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(1, 0.05)))
 *         .strategy(FedAvg.builder().minFitClients(10)
 *                 .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
 *         .rounds(10)
 *         .evaluator(new TestSetEvaluator(testSet, 1000))
 *         .build()) {
 *     coordinator.start();
 *     coordinator.awaitRounds(1, TimeUnit.HOURS);
 *     System.out.println(coordinator.history().rounds());
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #start()} binds the socket and starts the rounds; {@link #close()}
 * stops them, closes every connection and releases the threads.
 */
public final class Coordinator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Coordinator.class);
    /** How long closing waits for the clients' Byes to be written before it stops the event loops. */
    private static final Duration BYE_WAIT = Duration.ofSeconds(5);

    private final InetSocketAddress bindAddress;
    private final int rounds;
    private final CoordinatorState state;
    private final java.util.function.Function<CoordinatorStore, RoundLoop> loopFactory;
    private RoundLoop loop;
    private CoordinatorStore store;
    private final Path stateDir;
    private final String fingerprint;
    private final PrivateKey signingKey;
    private final java.security.PublicKey verifyingKey;
    private final RetentionPolicy retention;
    private final ModelRegistry models = new ModelRegistry();
    private ModelLifecycle lifecycle;
    private final AdminEndpoint adminEndpoint;
    private AdminServer adminServer;
    private final History history = new History();
    private final AdminEvents adminEvents;
    private final int ioThreads;
    private final ExecutorService aggregationExecutor;
    private ProtocolServer server;
    private Thread roundThread;
    private final EdgePublishing edgePublishing;
    private final CanaryPolicy canaryPolicy;
    private EdgeModelServer edgeServer;
    private InetSocketAddress edgeAddress;
    private InetSocketAddress adminAddress;
    private boolean started;
    private boolean closed;

    private Coordinator(Builder b) {
        this.bindAddress = b.bindAddress;
        this.rounds = b.rounds;
        this.ioThreads = b.ioThreads;
        AggregationExecutor aggregation = new AggregationExecutor();
        this.aggregationExecutor = aggregation;
        CoordinatorLimits limits = new CoordinatorLimits(b.maxFrameBytes, b.chunkBytes, b.maxUpdateChunks, b.updateChunkElements,
                b.uploadBufferBytes, b.handshakeTimeout.toMillis(), b.idleTimeout.toMillis(),
                b.heartbeatInterval.toMillis(), b.messagesPerSecond, b.messageBurst, b.transferProgressTimeout.toMillis());
        ConnectionLimits connectionLimits = new ConnectionLimits(b.maxConnections, b.inboundBytesPerSecond,
                b.inboundByteBurst, b.slowReaderTimeout.toMillis(), b.maxPendingOutboundBytes, b.writeBufferLow,
                b.writeBufferHigh);
        this.state = new CoordinatorState(limits, aggregationExecutor, b.codecs, b.tls, b.modelSigningKey,
                b.sealUpdates, b.secureAggregation, b.halfPrecisionModels, b.deltaModelVersions, connectionLimits,
                b.revocationList);
        state.bounds = b.bounds;
        state.maxGatewayDevices = b.maxGatewayDevices;
        aggregation.timing(state.metrics::aggregationTask);
        state.metrics.bind(state, models);
        this.stateDir = b.stateDir;
        this.fingerprint = fingerprint(b.initialModel, b.seed);
        this.signingKey = b.modelSigningKey;
        this.verifyingKey = b.modelVerifyingKey;
        this.retention = new RetentionPolicy(Math.max(1 + b.deltaModelVersions, b.keepModels), b.keepBestModels);
        RoundDeadline deadline = b.roundTimeoutSet ? RoundDeadline.fixed(b.roundTimeout.toMillis())
                : RoundDeadline.adaptive(b.initialModel.parameterBytes(), b.roundTimeout.toMillis());
        List<RoundListener> listeners = new ArrayList<>(b.listeners);
        listeners.add(state.metrics);
        this.adminEndpoint = b.admin;
        this.adminEvents = b.admin == null ? null : new AdminEvents();
        if (adminEvents != null) {
            listeners.add(adminEvents.roundListener(this));
            models.addListener(adminEvents.registryListener(this));
        }
        this.loopFactory = store -> {
            lifecycle = new ModelLifecycle(models, store, b.promotionGuard, b.autoPromote, b.strategy.name());
            return new RoundLoop(state, b.strategy, b.initialModel, b.rounds, deadline, b.evaluator,
                    fanOut(List.copyOf(listeners)), history, b.seed, b.checkpointDir, store,
                    b.maxConsecutiveFailedRounds, lifecycle);
        };
        this.edgePublishing = b.edgePublishing;
        this.canaryPolicy = b.canary;
    }

    /** What identifies a federation in its state store: the model's architecture and the seed. */
    private static String fingerprint(GlobalModel initial, long seed) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(initial.configJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "architecture " + java.util.HexFormat.of().formatHex(d, 0, 8) + ", " + initial.parameterCount()
                    + " parameters, seed " + seed;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the server socket and starts the round loop.
     *
     * @throws IllegalStateException if already started or closed
     * @throws java.io.IOException if the state store cannot be opened or read
     * @throws FedgeException if the state store belongs to another federation or its model fails verification
     * @throws RuntimeException if the address cannot be bound
     */
    public synchronized Coordinator start() throws InterruptedException, java.io.IOException {
        if (started || closed) {
            throw new IllegalStateException(closed ? "coordinator is closed" : "coordinator already started");
        }
        started = true;
        if (stateDir != null) {
            store = CoordinatorStore.open(stateDir, fingerprint, signingKey, verifyingKey, retention);
        }
        loop = loopFactory.apply(store);
        if (edgePublishing != null) {
            edgeServer = new EdgeModelServer(edgePublishing, signingKey, new EdgeReleases(canaryPolicy, lifecycle));
            if (canaryPolicy != null) {
                lifecycle.edgeManaged();
            }
        }
        loop.edgeModels(edgeServer);
        int done = loop.resume();
        if (done > 0) {
            log.info("resumed from {}: {} rounds already completed", stateDir, done);
        }
        server = ProtocolServer.bind(state, bindAddress, ioThreads, "coordinator");
        if (edgeServer != null) {
            edgeAddress = edgeServer.start();
        }
        if (adminEndpoint != null) {
            adminServer = new AdminServer(adminEndpoint, new AdminApi(this), adminEvents);
            adminAddress = adminServer.start();
        }
        roundThread = new Thread(loop, "fedge-rounds");
        roundThread.setDaemon(true);
        roundThread.start();
        return this;
    }

    /** The address the server is bound to (useful with port 0). */
    public synchronized InetSocketAddress localAddress() {
        if (server == null) {
            throw new IllegalStateException("coordinator not started");
        }
        return server.localAddress();
    }

    /** The rounds run so far. */
    public History history() {
        return history;
    }

    /** The current global model. */
    public GlobalModel globalModel() {
        return loop.model();
    }

    /** Rounds that advanced the model so far, including those resumed from the state directory. */
    public int completedRounds() {
        return loop == null ? 0 : loop.completedRounds();
    }

    /** Whether the configured number of rounds has advanced the model. */
    public boolean finished() {
        return loop != null && loop.finished();
    }

    /**
     * Why the federation stopped before its end (the state could not be written, too many rounds
     * in a row failed), in one line; empty while it runs or once it finished.
     */
    public java.util.Optional<String> failure() {
        return loop == null ? java.util.Optional.empty() : loop.failure();
    }

    /** What the connection handlers share; for tests in this package. */
    CoordinatorState state() {
        return state;
    }

    /** How many clients are connected and registered now. */
    public int connectedClients() {
        return state.registry.size();
    }

    /**
     * Waits until the configured rounds have all run (or the loop stopped).
     *
     * @return false if the timeout passed first
     */
    public boolean awaitRounds(long timeout, TimeUnit unit) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = roundThread;
        }
        if (t == null) {
            throw new IllegalStateException("coordinator not started");
        }
        t.join(Math.max(1, unit.toMillis(timeout)));
        return !t.isAlive();
    }

    /** Stops the rounds, closes every connection and the server socket, and releases threads. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        boolean done = loop != null && loop.finished();
        if (loop != null) {
            loop.stop();
        }
        if (roundThread != null) {
            roundThread.interrupt();
            try {
                roundThread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (state.revocation != null) {
            state.revocation.close();
        }
        // clients of a finished federation stop; those of a coordinator going away reconnect with backoff
        List<io.netty.channel.ChannelFuture> byes = state.registry.closeAll(done
                        ? io.fedge.comm.proto.ByeCode.FEDERATION_FINISHED : io.fedge.comm.proto.ByeCode.GOING_AWAY,
                done ? "the federation is finished" : "coordinator going away");
        // Thousands of Byes take the event loops a moment to write; stopping them first would drop
        // the rest, and those clients would take the federation's end for a lost connection. A
        // client that does not read gets BYE_WAIT at most, shared with all the others.
        long byeDeadline = System.nanoTime() + BYE_WAIT.toNanos();
        for (io.netty.channel.ChannelFuture f : byes) {
            long left = byeDeadline - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left) + 1)) {
                break;
            }
        }
        if (server != null) {
            server.close();
        }
        aggregationExecutor.shutdownNow();
        if (edgeServer != null) {
            edgeServer.close();
        }
        if (adminServer != null) {
            adminServer.close();
        }
        if (store != null) {
            store.close();
        }
    }

    /** Where the admin API and dashboard are served ({@code https://host:port/}), or null without an admin endpoint. */
    public synchronized InetSocketAddress adminAddress() {
        return adminAddress;
    }

    /** Every model version with its lineage, evaluations and labels. */
    public ModelRegistry models() {
        return models;
    }

    /** The coordinator's metrics (what {@code /metrics} serves). */
    public CoordinatorMetrics metrics() {
        return state.metrics;
    }

    /**
     * Labels {@code version} stable; refused when the promotion guard finds it worse than the
     * current stable version by more than its margin, unless {@code force}.
     */
    public AdminResult promote(long version, boolean force) {
        ModelLifecycle l = startedLifecycle();
        return l == null ? AdminResult.conflict("the coordinator is not started") : l.promote(version, force);
    }

    /**
     * Tries {@code version} on the canary's share of the inference fleet now: its edge model is
     * exported from the stored file and replaces any running canary. Needs edge publishing with
     * a canary policy and the state folder.
     */
    public AdminResult canary(long version) {
        ModelLifecycle l = startedLifecycle();
        if (l == null) {
            return AdminResult.conflict("the coordinator is not started");
        }
        if (edgeServer == null || canaryPolicy == null) {
            return AdminResult.conflict("no canary: the coordinator publishes no edge models under a canary policy");
        }
        if (models.entry(version).isEmpty()) {
            return AdminResult.notFound(version);
        }
        try {
            edgeServer.exportAsCanary(l.storedModel(version));
        } catch (IllegalArgumentException | java.io.IOException e) {
            return AdminResult.conflict("no canary of version " + version + ": " + e.getMessage());
        }
        return AdminResult.accepted("the edge model of version " + version + " is being exported; it becomes the "
                + "canary when it is ready");
    }

    /**
     * Has {@code clients} sampled clients evaluate versions {@code a} and {@code b} on their own
     * data between two rounds; the paired result lands in {@link ModelRegistry#comparisons()}.
     */
    public AdminResult compare(long a, long b, int clients) {
        ModelLifecycle l = startedLifecycle();
        if (l == null) {
            return AdminResult.conflict("the coordinator is not started");
        }
        return l.requestComparison(a, b, clients, ended());
    }

    /** Why no round boundary is coming (the federation finished or stopped), if so. */
    private java.util.Optional<AdminResult> ended() {
        if (loop.finished()) {
            return java.util.Optional.of(AdminResult.conflict("the federation is finished: no round boundary is coming "
                    + "to apply it at"));
        }
        return loop.failure().map(f -> AdminResult.conflict("the federation stopped (" + f + "): no round boundary is "
                + "coming to apply it at"));
    }

    /** The edge releases (stable, canary, the canary's evidence), or empty without edge publishing. */
    synchronized java.util.Optional<EdgeReleases> edgeReleases() {
        return edgeServer == null ? java.util.Optional.empty() : java.util.Optional.of(edgeServer.releases());
    }

    /** Rolls training back to {@code version}: the round thread publishes a copy of it, labelled stable, before the next round. */
    public AdminResult rollback(long version) {
        ModelLifecycle l = startedLifecycle();
        if (l == null) {
            return AdminResult.conflict("the coordinator is not started");
        }
        return l.requestRollback(version, ended());
    }

    private synchronized ModelLifecycle startedLifecycle() {
        return loop == null ? null : lifecycle;
    }

    /** How many rounds were configured. */
    public int configuredRounds() {
        return rounds;
    }

    /** Where edge models are served ({@code http://host:port/edge-model}), or null without edge publishing. */
    public synchronized InetSocketAddress edgeModelAddress() {
        return edgeAddress;
    }

    /** The global model version the newest published edge model was distilled from, or -1 if none yet. */
    public long publishedEdgeModelVersion() {
        return edgeServer == null ? -1 : edgeServer.publishedVersion();
    }

    /**
     * Waits for the edge exports already queued (the last round's) to end: a federation's final
     * version is exported before {@link #close()} drops what is still running.
     *
     * @return false if they had not ended within the timeout; true at once without edge publishing
     */
    public boolean awaitEdgeExports(long timeout, TimeUnit unit) throws InterruptedException {
        return edgeServer == null || edgeServer.awaitExports(timeout, unit);
    }

    /** Waits until the threads released by {@link #close()} have ended. */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        if (server != null && !server.awaitTermination(timeout, unit)) {
            return false;
        }
        if (roundThread != null) {
            roundThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (roundThread.isAlive()) {
                return false;
            }
        }
        return aggregationExecutor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private static RoundListener fanOut(List<RoundListener> listeners) {
        return new RoundListener() {
            @Override
            public void roundStarted(long round, int selected) {
                for (RoundListener l : listeners) {
                    safely(() -> l.roundStarted(round, selected));
                }
            }

            @Override
            public void clientFinished(long round, String clientId, boolean accepted) {
                for (RoundListener l : listeners) {
                    safely(() -> l.clientFinished(round, clientId, accepted));
                }
            }

            @Override
            public void updateClipped(long round, String clientId, double norm, double bound) {
                for (RoundListener l : listeners) {
                    safely(() -> l.updateClipped(round, clientId, norm, bound));
                }
            }

            @Override
            public void secureAggregationCommitted(long round, java.util.Set<String> committed) {
                for (RoundListener l : listeners) {
                    safely(() -> l.secureAggregationCommitted(round, committed));
                }
            }

            @Override
            public void roundFinished(RoundRecord record) {
                for (RoundListener l : listeners) {
                    safely(() -> l.roundFinished(record));
                }
            }

            private void safely(Runnable r) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.warn("a round listener failed", e);
                }
            }
        };
    }

    /**
     * Configures a {@link Coordinator}. {@link #initialModel} and {@link #strategy} are required;
     * every other setting has a default. Each setter may be called once and checks its argument.
     */
    public static final class Builder {
        private InetSocketAddress bindAddress = new InetSocketAddress(7070);
        private GlobalModel initialModel;
        private Strategy strategy;
        private int rounds = 10;
        private Duration roundTimeout = Duration.ofMinutes(10);
        private boolean roundTimeoutSet;
        private Path stateDir;
        private java.security.PublicKey modelVerifyingKey;
        private int keepModels = RetentionPolicy.DEFAULT.latest();
        private int keepBestModels = RetentionPolicy.DEFAULT.best();
        private boolean autoPromote = true;
        private PromotionGuard promotionGuard = PromotionGuard.DEFAULT;
        private AdminEndpoint admin;
        private CanaryPolicy canary;
        private UpdateBounds bounds = UpdateBounds.defaults();
        private int maxGatewayDevices = 10_000;
        private int maxConsecutiveFailedRounds = 20;
        private Duration transferProgressTimeout = Duration.ofSeconds(30);
        private ServerEvaluator evaluator;
        private final List<RoundListener> listeners = new ArrayList<>();
        private long seed;
        private Path checkpointDir;
        private CodecRegistry codecs = CodecRegistry.defaultRegistry();
        private int chunkBytes = WireProtocol.DEFAULT_CHUNK_BYTES;
        private int maxFrameBytes = WireProtocol.DEFAULT_MAX_FRAME_BYTES;
        private int maxUpdateChunks = 1 << 16;
        private int updateChunkElements = WireProtocol.DEFAULT_UPDATE_CHUNK_ELEMENTS;
        private long uploadBufferBytes = WireProtocol.DEFAULT_CHUNK_BYTES;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration heartbeatInterval = Duration.ofSeconds(10);
        private int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());
        private SslContext tls;
        private PrivateKey modelSigningKey;
        private boolean sealUpdates = true;
        private SecureAggregation secureAggregation;
        private boolean halfPrecisionModels;
        private int deltaModelVersions;
        private EdgePublishing edgePublishing;
        private double messagesPerSecond = 500;
        private int messageBurst = 2_000;
        private int maxConnections = ConnectionLimits.DEFAULT_MAX_CONNECTIONS;
        private long inboundBytesPerSecond = ConnectionLimits.DEFAULT_INBOUND_BYTES_PER_SECOND;
        private long inboundByteBurst = ConnectionLimits.DEFAULT_INBOUND_BYTE_BURST;
        private Duration slowReaderTimeout = Duration.ofMillis(ConnectionLimits.DEFAULT_SLOW_READER_MILLIS);
        private long maxPendingOutboundBytes = ConnectionLimits.DEFAULT_MAX_PENDING_OUTBOUND_BYTES;
        private int writeBufferLow = ConnectionLimits.DEFAULT_WRITE_BUFFER_LOW;
        private int writeBufferHigh = ConnectionLimits.DEFAULT_WRITE_BUFFER_HIGH;
        private io.fedge.comm.tls.RevocationList revocationList;
        private final java.util.Set<String> set = new java.util.HashSet<>();

        private Builder() {
        }

        private void once(String name) {
            if (!set.add(name)) {
                throw new IllegalStateException(name + " was already set");
            }
        }

        /** Where to listen; default all interfaces, port 7070. Port 0 picks a free port. */
        public Builder bind(InetSocketAddress address) {
            once("bind");
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The model the federation starts from (version 0). Required. */
        public Builder initialModel(GlobalModel model) {
            once("initialModel");
            this.initialModel = Objects.requireNonNull(model, "model");
            return this;
        }

        /** How rounds are planned and aggregated. Required. */
        public Builder strategy(Strategy strategy) {
            once("strategy");
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /** How many training rounds to run; default 10. */
        public Builder rounds(int rounds) {
            once("rounds");
            if (rounds <= 0) {
                throw new IllegalArgumentException("rounds must be positive: " + rounds);
            }
            this.rounds = rounds;
            return this;
        }

        /**
         * A fixed time for selected clients to deliver their updates. Without it the deadline is
         * sized from the task and adapts to what rounds take ({@code RoundDeadline}: 60 s plus a
         * slow-link transfer of the model before the first round, then 3 times the slowest
         * accepted client of the last round plus 5 s, between 10 s and 10 minutes).
         */
        public Builder roundTimeout(Duration timeout) {
            once("roundTimeout");
            this.roundTimeout = positive(timeout, "roundTimeout");
            this.roundTimeoutSet = true;
            return this;
        }

        /**
         * Keeps the coordinator's state in {@code dir} (an SQLite database and the last model
         * versions, made durable after every round), and resumes from it on start: a coordinator
         * restarted with the same directory after a crash or {@code kill -9} continues after the
         * last completed round with the same history, model and state. Default none (nothing survives).
         */
        public Builder stateDir(Path dir) {
            once("stateDir");
            this.stateDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * The public half of {@link #modelSigningKey}: model files read back from the state
         * directory must carry a valid signature by it. Default: digests only.
         */
        public Builder modelVerifyingKey(java.security.PublicKey key) {
            once("modelVerifyingKey");
            this.modelVerifyingKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * How many of the most accurate model versions keep their files besides the newest ones
         * (rollback targets); default {@code 1}. Labelled versions always keep theirs.
         */
        public Builder keepBestModels(int versions) {
            once("keepBestModels");
            if (versions < 0) {
                throw new IllegalArgumentException("keepBestModels must be >= 0: " + versions);
            }
            this.keepBestModels = versions;
            return this;
        }

        /**
         * Whether each new model version becomes stable by itself when the promotion guard lets
         * it (default), or only through {@link Coordinator#promote}.
         */
        public Builder autoPromote(boolean auto) {
            once("autoPromote");
            this.autoPromote = auto;
            return this;
        }

        /** The guard against promoting a version that evaluates worse; default {@link PromotionGuard#DEFAULT}. */
        public Builder promotionGuard(PromotionGuard guard) {
            once("promotionGuard");
            this.promotionGuard = Objects.requireNonNull(guard, "guard");
            return this;
        }

        /**
         * Tries every new edge model on a share of the inference fleet first and releases it to
         * all only when its telemetry shows it is not worse ({@link CanaryPolicy}); needs
         * {@link #edgePublishing}. Without it every new edge model goes to every device at once.
         */
        public Builder canary(CanaryPolicy policy) {
            once("canary");
            this.canary = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Serves the admin API, metrics and dashboard there (HTTPS, administrators' certificates only). */
        public Builder admin(AdminEndpoint endpoint) {
            once("admin");
            this.admin = Objects.requireNonNull(endpoint, "endpoint");
            return this;
        }

        /** How many of the newest model versions the state directory keeps; default 5 (more with deltas). */
        public Builder keepModels(int versions) {
            once("keepModels");
            if (versions < 1) {
                throw new IllegalArgumentException("keepModels must be at least 1: " + versions);
            }
            this.keepModels = versions;
            return this;
        }

        /** What one client's update may weigh and move; default {@link UpdateBounds#defaults()}. */
        public Builder updateBounds(UpdateBounds bounds) {
            once("updateBounds");
            this.bounds = Objects.requireNonNull(bounds, "bounds");
            return this;
        }

        /**
         * The most devices one gateway's update may aggregate (docs/gateways.md); a gateway may
         * declare at most this many times the per-client example maximum. Default 10,000.
         */
        public Builder maxGatewayDevices(int devices) {
            if (devices < 1) {
                throw new IllegalArgumentException("maxGatewayDevices must be at least 1: " + devices);
            }
            this.maxGatewayDevices = devices;
            return this;
        }

        /** The federation stops, with a failure, after this many failed rounds in a row; default 20. */
        public Builder maxConsecutiveFailedRounds(int rounds) {
            once("maxConsecutiveFailedRounds");
            if (rounds < 1) {
                throw new IllegalArgumentException("maxConsecutiveFailedRounds must be at least 1: " + rounds);
            }
            this.maxConsecutiveFailedRounds = rounds;
            return this;
        }

        /**
         * An admitted upload that receives no chunk for this long is failed (TRANSFER_STALLED) and
         * its share of the upload budget released; default 30 s.
         */
        public Builder transferProgressTimeout(Duration timeout) {
            once("transferProgressTimeout");
            this.transferProgressTimeout = positive(timeout, "transferProgressTimeout");
            return this;
        }

        /** Evaluates each new model on the coordinator's data; default none. */
        public Builder evaluator(ServerEvaluator evaluator) {
            once("evaluator");
            this.evaluator = Objects.requireNonNull(evaluator, "evaluator");
            return this;
        }

        /** Told about round progress; may be called several times. */
        public Builder addListener(RoundListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Seeds client selection; default 0. */
        public Builder seed(long seed) {
            once("seed");
            this.seed = seed;
            return this;
        }

        /**
         * Writes each new model atomically and durably to {@code dir/global-model.fgm}, with its
         * digest and, with a model-signing key, its signature ({@code ModelFile}); default off.
         */
        public Builder checkpointDir(Path dir) {
            once("checkpointDir");
            this.checkpointDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** The codecs updates may be encoded with; default {@link CodecRegistry#defaultRegistry()}. */
        public Builder codecs(CodecRegistry codecs) {
            once("codecs");
            this.codecs = Objects.requireNonNull(codecs, "codecs");
            return this;
        }

        /** Payload bytes per model chunk; default 1 MiB. */
        public Builder chunkBytes(int bytes) {
            once("chunkBytes");
            if (bytes <= 0) {
                throw new IllegalArgumentException("chunkBytes must be positive: " + bytes);
            }
            this.chunkBytes = bytes;
            return this;
        }

        /** The longest frame accepted; default 1 MiB + 64 KiB. */
        public Builder maxFrameBytes(int bytes) {
            once("maxFrameBytes");
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxFrameBytes must be positive: " + bytes);
            }
            this.maxFrameBytes = bytes;
            return this;
        }

        /**
         * Requires mutual TLS with this context (from {@link io.fedge.comm.tls.TlsContexts#server}):
         * every client presents a certificate from the fedge CA, not revoked, whose common name
         * is the id it registers as. Without it the coordinator speaks plain TCP.
         */
        public Builder tls(SslContext context) {
            once("tls");
            this.tls = Objects.requireNonNull(context, "context");
            if (!context.isServer()) {
                throw new IllegalArgumentException("tls needs a server context");
            }
            return this;
        }

        /**
         * Signs every model this coordinator publishes with this Ed25519 key, so clients that
         * pin the matching public key ({@code FederatedClient.Builder#trustedModelKey}) can tell
         * its models from anyone else's. Without it models go out unsigned.
         *
         * @throws IllegalArgumentException if the key is not an Ed25519 key
         */
        public Builder modelSigningKey(PrivateKey key) {
            once("modelSigningKey");
            Objects.requireNonNull(key, "key");
            if (!"EdDSA".equals(key.getAlgorithm()) && !"Ed25519".equals(key.getAlgorithm())) {
                throw new IllegalArgumentException("modelSigningKey must be an Ed25519 key, not " + key.getAlgorithm());
            }
            this.modelSigningKey = key;
            return this;
        }

        /**
         * Whether every round publishes an X25519 key and requires updates sealed to it end to
         * end (AES-256-GCM per chunk), so that a relay terminating TLS sees only ciphertext.
         * Default true; false accepts plain updates and refuses sealed ones.
         */
        public Builder sealUpdates(boolean seal) {
            once("sealUpdates");
            this.sealUpdates = seal;
            return this;
        }

        /**
         * Aggregates every round securely (masked updates, docs/secure-aggregation.md): only
         * clients that advertise the feature are selected, and the coordinator learns the
         * example-weighted mean of the survivors and nothing about any one update. Needs a strategy
         * that {@linkplain Strategy#supportsSecureAggregation supports it} and at least
         * {@value io.fedge.comm.secagg.SecAggAggregator#MIN_CLIENTS} clients per round. Default off.
         */
        public Builder secureAggregation(SecureAggregation config) {
            once("secureAggregation");
            this.secureAggregation = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Sends models to clients with half-precision parameters (half the download; relative
         * error at most 2^-11). Checkpoints, evaluation and aggregation stay in float32. Default false.
         */
        public Builder halfPrecisionModels(boolean half) {
            once("halfPrecisionModels");
            this.halfPrecisionModels = half;
            return this;
        }

        /**
         * Distils, quantizes, signs and serves an edge model every few rounds for inference-only
         * devices (docs/edge.md). Needs {@link #modelSigningKey}. Default off.
         */
        public Builder edgePublishing(EdgePublishing config) {
            once("edgePublishing");
            this.edgePublishing = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Sends a client the model as a lossless delta against the version it last received on its
         * connection ({@code ModelDelta}: XOR, byte planes, zstd; the client checks the rebuilt
         * model's SHA-256), keeping the last {@code versions} encoded models to send deltas
         * against. 0 (the default) sends every model in full.
         */
        public Builder deltaModels(int versions) {
            once("deltaModels");
            if (versions < 0) {
                throw new IllegalArgumentException("versions must be non-negative: " + versions);
            }
            this.deltaModelVersions = versions;
            return this;
        }

        /** The most chunks one update may announce; default 65,536. */
        public Builder maxUpdateChunks(int chunks) {
            once("maxUpdateChunks");
            if (chunks <= 0) {
                throw new IllegalArgumentException("maxUpdateChunks must be positive: " + chunks);
            }
            this.maxUpdateChunks = chunks;
            return this;
        }

        /**
         * The most parameters one chunk of an update may encode; clients are told in their
         * Welcome, and an update announcing more per chunk is refused. The coordinator decodes
         * one chunk at a time, so this bounds its scratch memory per update. Default 16,384.
         */
        public Builder updateChunkElements(int elements) {
            once("updateChunkElements");
            if (elements <= 0) {
                throw new IllegalArgumentException("updateChunkElements must be positive: " + elements);
            }
            this.updateChunkElements = elements;
            return this;
        }

        /**
         * Bytes of received, not yet aggregated uploads held at once; further clients wait for
         * admission. One upload is always admitted. Default 1 MiB.
         */
        public Builder uploadBufferBytes(long bytes) {
            once("uploadBufferBytes");
            if (bytes <= 0) {
                throw new IllegalArgumentException("uploadBufferBytes must be positive: " + bytes);
            }
            this.uploadBufferBytes = bytes;
            return this;
        }

        /** Time a new connection has to say Hello; default 10 s. */
        public Builder handshakeTimeout(Duration timeout) {
            once("handshakeTimeout");
            this.handshakeTimeout = positive(timeout, "handshakeTimeout");
            return this;
        }

        /**
         * Per-connection message rate limit: a bucket of {@code burst} messages refilled at
         * {@code perSecond}; a client that empties it is sent {@code RATE_LIMITED} and
         * disconnected. Default 500 per second, bursts of 2,000 (an update of 2,000 chunks).
         */
        public Builder messageRateLimit(double perSecond, int burst) {
            once("messageRateLimit");
            if (!(perSecond > 0) || burst < 1) {
                throw new IllegalArgumentException("need perSecond > 0 and burst >= 1: " + perSecond + ", " + burst);
            }
            this.messagesPerSecond = perSecond;
            this.messageBurst = burst;
            return this;
        }

        /**
         * The most client connections open at once; default 10,000. Further connections are
         * refused before any TLS work: on plain TCP with {@code Error(OVERLOADED)}, under TLS by
         * closing them at once. Refusals are logged once a second with a count.
         */
        public Builder maxConnections(int connections) {
            once("maxConnections");
            if (connections < 1) {
                throw new IllegalArgumentException("maxConnections must be positive: " + connections);
            }
            this.maxConnections = connections;
            return this;
        }

        /**
         * Per-connection inbound byte rate limit, on the wire: a bucket of {@code burstBytes}
         * refilled at {@code bytesPerSecond}; a client that empties it is sent {@code RATE_LIMITED}
         * and disconnected. Default 8 MiB per second, bursts of 32 MiB (an upload of tens of
         * megabytes at any speed).
         */
        public Builder inboundByteRateLimit(long bytesPerSecond, long burstBytes) {
            once("inboundByteRateLimit");
            if (bytesPerSecond < 1 || burstBytes < 1) {
                throw new IllegalArgumentException("need bytesPerSecond >= 1 and burstBytes >= 1: " + bytesPerSecond
                        + ", " + burstBytes);
            }
            this.inboundBytesPerSecond = bytesPerSecond;
            this.inboundByteBurst = burstBytes;
            return this;
        }

        /**
         * How long a connection may stay unwritable (more than the high watermark queued, its
         * client not reading) before it is closed as a slow consumer; default 2 minutes. A model
         * download keeps a connection unwritable for about its size over the client's bandwidth,
         * so this must exceed the slowest honest client's download time.
         */
        public Builder slowReaderTimeout(Duration timeout) {
            once("slowReaderTimeout");
            this.slowReaderTimeout = positive(timeout, "slowReaderTimeout");
            return this;
        }

        /**
         * The most bytes queued for one connection; a write beyond it closes the connection as a
         * slow consumer. Every model download is queued whole, so it must exceed the largest
         * download. Default 64 MiB (a few models).
         */
        public Builder maxPendingOutboundBytes(long bytes) {
            once("maxPendingOutboundBytes");
            if (bytes < 1) {
                throw new IllegalArgumentException("maxPendingOutboundBytes must be positive: " + bytes);
            }
            this.maxPendingOutboundBytes = bytes;
            return this;
        }

        /**
         * A connection with more than {@code highBytes} queued is unwritable and is not read until
         * fewer than {@code lowBytes} are queued. Default 1 MiB and 4 MiB.
         */
        public Builder writeBufferWaterMark(int lowBytes, int highBytes) {
            once("writeBufferWaterMark");
            if (lowBytes < 1 || highBytes < lowBytes) {
                throw new IllegalArgumentException("need 1 <= lowBytes <= highBytes: " + lowBytes + ", " + highBytes);
            }
            this.writeBufferLow = lowBytes;
            this.writeBufferHigh = highBytes;
            return this;
        }

        /**
         * The revocation list the {@link #tls} context checks clients against (the one given to
         * {@link io.fedge.comm.tls.TlsContexts#server(io.fedge.comm.tls.CertificateDirectory,
         * io.netty.handler.ssl.SslProvider, io.fedge.comm.tls.RevocationList)}): whenever it
         * changes, live connections whose certificate it revokes are sent {@code Error(REVOKED)}
         * and {@code Bye(REFUSED)} and closed. Without it a revocation only refuses the next
         * handshake. Needs {@link #tls}.
         */
        public Builder revocationList(io.fedge.comm.tls.RevocationList list) {
            once("revocationList");
            this.revocationList = Objects.requireNonNull(list, "list");
            return this;
        }

        /** A connection silent for this long is closed; default 60 s. */
        public Builder idleTimeout(Duration timeout) {
            once("idleTimeout");
            this.idleTimeout = positive(timeout, "idleTimeout");
            return this;
        }

        /** How often clients send heartbeats; default 10 s. */
        public Builder heartbeatInterval(Duration interval) {
            once("heartbeatInterval");
            this.heartbeatInterval = positive(interval, "heartbeatInterval");
            return this;
        }

        /** Netty I/O threads; default min(2, cores). */
        public Builder ioThreads(int threads) {
            once("ioThreads");
            if (threads <= 0) {
                throw new IllegalArgumentException("ioThreads must be positive: " + threads);
            }
            this.ioThreads = threads;
            return this;
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
            return d;
        }

        /**
         * @throws IllegalStateException if the model or strategy is missing, or the limits
         *     cannot carry a chunk
         */
        public Coordinator build() {
            if (initialModel == null || strategy == null) {
                throw new IllegalStateException("initialModel and strategy are required");
            }
            if (maxFrameBytes < chunkBytes + 1024) {
                throw new IllegalStateException("maxFrameBytes (" + maxFrameBytes
                        + ") must exceed chunkBytes (" + chunkBytes + ") by at least 1 KiB for the envelope");
            }
            if (heartbeatInterval.compareTo(idleTimeout) >= 0) {
                throw new IllegalStateException("heartbeatInterval (" + heartbeatInterval
                        + ") must be shorter than idleTimeout (" + idleTimeout + ")");
            }
            if (revocationList != null && tls == null) {
                throw new IllegalStateException("revocationList needs tls: without TLS there are no certificates to revoke");
            }
            if (maxPendingOutboundBytes <= writeBufferHigh) {
                throw new IllegalStateException("maxPendingOutboundBytes (" + maxPendingOutboundBytes
                        + ") must exceed the write buffer's high watermark (" + writeBufferHigh + ")");
            }
            long modelBytes = initialModel.parameterBytes();
            if (maxPendingOutboundBytes < modelBytes) {
                log.warn("maxPendingOutboundBytes ({}) is below the model's {} bytes: every model download will close "
                        + "its connection as a slow consumer", maxPendingOutboundBytes, modelBytes);
            }
            if (canary != null && edgePublishing == null) {
                throw new IllegalStateException("a canary policy needs edgePublishing: canaries are edge models");
            }
            if (edgePublishing != null && modelSigningKey == null) {
                throw new IllegalStateException("edge models are signed: edgePublishing needs a modelSigningKey");
            }
            for (String codec : strategy.codecs()) {
                try {
                    codecs.get(codec);
                } catch (FedgeException e) {
                    throw new IllegalStateException("strategy " + strategy.name() + " asks for codec '" + codec
                            + "', which this coordinator cannot decode: " + e.getMessage());
                }
                if (secureAggregation != null && !codecs.get(codec).name().equals(Fp32Codec.NAME)) {
                    throw new IllegalStateException("codec '" + codec + "' cannot run under secure aggregation: "
                            + "masked updates are fixed-point words that are summed before anyone decodes them, so "
                            + "quantization and sparsification (which need each update decoded, or a mask shared by "
                            + "all clients) do not apply; use fp32 with secure aggregation");
                }
            }
            if (strategy.minAcceptedUpdates() > strategy.minFitClients()) {
                throw new IllegalStateException("strategy " + strategy.name() + " needs " + strategy.minAcceptedUpdates()
                        + " accepted updates for a round to count but selects " + strategy.minFitClients()
                        + " clients per round; select more clients per round or relax the strategy");
            }
            // what the strategy itself cannot run with: secure aggregation, or a lossy codec (SCAFFOLD)
            Optional<String> incompatible = strategy.incompatibility(secureAggregation != null, codecs::isLossy);
            if (incompatible.isPresent()) {
                throw new IllegalStateException(incompatible.get());
            }
            if (secureAggregation != null) {
                if (!strategy.supportsSecureAggregation()) {
                    throw new IllegalStateException("strategy " + strategy.name() + " needs each update on its own, "
                            + "so it cannot run under secure aggregation");
                }
                if (strategy.minFitClients() < SecAggAggregator.MIN_CLIENTS) {
                    throw new IllegalStateException("secure aggregation needs at least " + SecAggAggregator.MIN_CLIENTS
                            + " clients per round (a sum of two reveals each update to the other); minFitClients is "
                            + strategy.minFitClients());
                }
            }
            return new Coordinator(this);
        }
    }
}
