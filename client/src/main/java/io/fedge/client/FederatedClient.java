package io.fedge.client;

import io.fedge.comm.Transports;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Bye;
import io.fedge.comm.proto.ByeCode;
import io.fedge.compression.CodecRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A federated learning client to embed in a device or service. It connects to a coordinator,
 * receives the global model (architecture included), trains it on local data with DL4J, and sends
 * back only the encoded update. It reconnects with exponential backoff and jitter whenever the
 * connection drops or the coordinator says it is going away (restarting); an update interrupted
 * by a drop is discarded and the client simply trains again when it gets the next task. Why it
 * cannot join is logged at WARN once per distinct reason, then again periodically with the number
 * of attempts. The client stops for good, closing itself so that {@link #awaitTermination}
 * returns, when the coordinator says its federation is over, when it is refused in a way retrying
 * cannot fix (identity, revoked or untrusted certificate, protocol version), or, with
 * {@link Builder#giveUpAfter}, when the coordinator stayed unreachable too long;
 * {@link #ending()} says which.
 *
 * <pre>{@code
 * DataSetIterator myData = ...;             // the device's own examples
 * try (FederatedClient client = FederatedClient.builder()
 *         .coordinator(new InetSocketAddress("coordinator.example", 7070))
 *         .clientId("sensor-17")
 *         .data(myData)
 *         .build()) {
 *     client.start();
 *     client.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class FederatedClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FederatedClient.class);

    private final InetSocketAddress coordinator;
    /** The coordinator's address as the application gave it, host:port, for log lines. */
    private final String coordinatorName;
    private final SslContext tls;
    private final PublicKey trustedModelKey;
    private final String clientId;
    private final LocalWork work;
    private final CodecRegistry codecs;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Executor trainingExecutor;
    private final SharedModels sharedModels;
    private final ExecutorService ownedExecutor;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int maxFrameBytes;
    private final long maxModelBytes;
    private final Duration giveUpAfter;
    private final Random jitter;
    private final AtomicInteger attempts = new AtomicInteger();
    private final AtomicLong transferIds;
    private final java.security.SecureRandom secureRandom = new java.security.SecureRandom();
    private final ErrorFeedback errorFeedback;
    private final ControlVariate controlVariate;
    private final KeptBatchNorm keptBatchNorm;
    private final io.fedge.comm.secagg.SecAggIdentity secAggIdentity;
    private final UpdateTransform updateTransform;
    private final long declaredExamples;
    private final ClientListener listener;
    private final AtomicInteger updatesSent = new AtomicInteger();
    private final AtomicInteger updatesAccepted = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final ConnectionTrouble trouble = new ConnectionTrouble(Duration.ofMinutes(1), System::nanoTime);
    private final AtomicReference<ClientEnding> ending = new AtomicReference<>();
    /** Since when the coordinator has not been reachable: the start, or the loss of the last registered connection. */
    private volatile long unreachableSince;
    private volatile int maxChunkBytes = WireProtocol.DEFAULT_CHUNK_BYTES;
    private volatile int updateChunkElements = Integer.MAX_VALUE;
    private volatile boolean registered;
    private volatile Channel channel;
    private boolean started;
    private volatile boolean closed;

    private FederatedClient(Builder b) {
        this.coordinator = b.coordinator;
        this.coordinatorName = b.coordinator.getHostString() + ":" + b.coordinator.getPort();
        this.tls = b.tls;
        this.trustedModelKey = b.trustedModelKey;
        this.clientId = b.clientId;
        this.work = b.work;
        this.sharedModels = b.sharedModels;
        this.codecs = b.codecs;
        this.ownsGroup = b.group == null;
        this.group = ownsGroup ? Transports.eventLoopGroup(1, "fedge-client-io") : b.group;
        if (b.trainingExecutor == null) {
            this.ownedExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "fedge-train-" + clientId);
                t.setDaemon(true);
                return t;
            });
            this.trainingExecutor = ownedExecutor;
        } else {
            this.ownedExecutor = null;
            this.trainingExecutor = b.trainingExecutor;
        }
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.giveUpAfter = b.giveUpAfter;
        this.maxFrameBytes = b.maxFrameBytes;
        this.maxModelBytes = b.maxModelBytes;
        this.secAggIdentity = b.secAggIdentity;
        this.updateTransform = b.updateTransform;
        this.declaredExamples = b.declaredExamples;
        this.listener = b.listener;
        this.errorFeedback = b.stateDir == null ? ErrorFeedback.inMemory()
                : ErrorFeedback.persistent(b.stateDir.resolve("error-feedback.bin"));
        this.controlVariate = b.stateDir == null ? ControlVariate.inMemory()
                : ControlVariate.persistent(b.stateDir.resolve("scaffold-control-variate.bin"));
        this.keptBatchNorm = b.stateDir == null ? KeptBatchNorm.inMemory()
                : KeptBatchNorm.persistent(b.stateDir.resolve("fedbn-batchnorm.bin"));
        this.jitter = new Random(b.seed * 0x9E3779B97F4A7C15L + clientId.hashCode());
        this.transferIds = new AtomicLong((jitter.nextLong() & 0x0FFF_FFFF_FFFF_FFFFL) << 1);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Connects, and keeps reconnecting until the client ends ({@link #ending()}). Returns at once.
     *
     * @throws IllegalStateException if already started or closed
     */
    public synchronized FederatedClient start() {
        if (started || closed) {
            throw new IllegalStateException(closed ? "client is closed" : "client already started");
        }
        started = true;
        unreachableSince = System.nanoTime();
        connect();
        return this;
    }

    /** Whether the client has ended or been closed: nothing reconnects any more. */
    private boolean isOver() {
        return closed || ending.get() != null;
    }

    private void connect() {
        if (isOver()) {
            return;
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(Transports.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ClientChannelInitializer(this));
        ChannelFuture f = bootstrap.connect(coordinator);
        f.addListener((ChannelFutureListener) future -> {
            if (future.isSuccess()) {
                channel = future.channel();
                connections.incrementAndGet();
                if (isOver()) {
                    channel.close();
                }
            } else {
                attemptFailed(Refusals.message(future.cause()));
                scheduleReconnect();
            }
        });
    }

    /** A connection attempt failed for {@code reason}: logged once per distinct reason, then periodically. */
    private void attemptFailed(String reason) {
        listener.joinFailed(clientId, reason);
        String line = trouble.failed(reason);
        if (line != null) {
            log.warn("client {}: {} ({})", clientId, line, coordinatorName);
        }
    }

    private void scheduleReconnect() {
        if (isOver() || group.isShuttingDown()) {
            return;
        }
        int attempt = Math.min(attempts.getAndIncrement(), 20);
        long cap = Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() << Math.min(attempt, 30));
        long delay;
        synchronized (jitter) {
            delay = cap / 2 + (long) (jitter.nextDouble() * (cap / 2 + 1));
        }
        if (giveUpAfter != null) {
            long leftNanos = unreachableSince + giveUpAfter.toNanos() - System.nanoTime();
            if (leftNanos <= 0) {
                String last = trouble.lastReason();
                end(ClientEnding.Kind.GAVE_UP, "coordinator " + coordinatorName + " unreachable for "
                        + giveUpAfter.toString().substring(2).toLowerCase(java.util.Locale.ROOT) + " ("
                        + trouble.attempts() + " attempts" + (last == null ? "" : "; last: " + last) + ")");
                return;
            }
            delay = Math.min(delay, TimeUnit.NANOSECONDS.toMillis(leftNanos) + 1);
        }
        group.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    void onRegistered() {
        registered = true;
        listener.registered(clientId);
        attempts.set(0);
        int failed = trouble.attempts();
        if (failed > 0) {
            log.info("client {}: joined the coordinator {} after {} failed attempts", clientId, coordinatorName, failed);
        }
        trouble.joined();
    }

    /**
     * A connection closed. One that never got the coordinator's Welcome counts as a failed attempt,
     * for {@code why} if known; the loss of a registered one starts the give-up clock.
     */
    void onDisconnected(boolean wasRegistered, String why) {
        registered = false;
        listener.disconnected(clientId, wasRegistered);
        if (isOver()) {
            if (!wasRegistered && why != null) {
                listener.joinFailed(clientId, why); // the refusal that ended it was a failed join too
            }
            return;
        }
        if (wasRegistered) {
            unreachableSince = System.nanoTime();
            log.info("client {}: connection to {} lost{}; reconnecting", clientId, coordinatorName,
                    why == null ? "" : " (" + why + ")");
        } else {
            attemptFailed(why != null ? why : "the connection closed before the coordinator welcomed this client");
        }
        scheduleReconnect();
    }

    /**
     * The coordinator closes the connection on purpose: for good when its federation is over or it
     * refuses this client (and, from older coordinators, without a code); a coordinator going
     * away (restarting) is reconnected to with backoff.
     */
    void onBye(Bye bye) {
        String reason = bye.getReason().isEmpty() ? "no reason given" : bye.getReason();
        switch (bye.getCode()) {
            case FEDERATION_FINISHED, BYE_CODE_UNSPECIFIED -> end(ClientEnding.Kind.FINISHED,
                    "the coordinator ended the federation: " + reason);
            case REFUSED -> end(ClientEnding.Kind.REFUSED, "the coordinator refuses this client: " + reason);
            default -> log.info("client {}: coordinator {} going away ({}); reconnecting", clientId, coordinatorName, reason);
        }
    }

    /** Joining failed in a way retrying cannot fix: stop for good. */
    void onRefused(String reason) {
        end(ClientEnding.Kind.REFUSED, reason);
    }

    /** Ends the client for good, once: records why and closes it (off the event loop, which close waits on). */
    private void end(ClientEnding.Kind kind, String reason) {
        ClientEnding e = new ClientEnding(kind, reason);
        if (!ending.compareAndSet(null, e)) {
            return;
        }
        if (e.isFailure()) {
            log.warn("client {}: stopping: {}", clientId, reason);
        } else {
            log.info("client {}: stopping: {}", clientId, reason);
        }
        Thread closer = new Thread(this::close, "fedge-client-close-" + clientId);
        closer.setDaemon(true);
        closer.start();
    }

    /** Why the client stopped for good; empty while it runs. */
    public Optional<ClientEnding> ending() {
        return Optional.ofNullable(ending.get());
    }

    /**
     * Why the client stopped if it stopped without the federation finishing or the application
     * closing it (refused, gave up); empty otherwise.
     */
    public Optional<String> failure() {
        ClientEnding e = ending.get();
        return e != null && e.isFailure() ? Optional.of(e.reason()) : Optional.empty();
    }

    /** The chunks of an update were written whole; what it leaves for error feedback waits for its acceptance. */
    void onUpdateSent() {
        updatesSent.incrementAndGet();
    }

    /**
     * The coordinator folded update {@code transferId}: its error-feedback residual is carried
     * forward, and its SCAFFOLD control variate and FedBN BatchNorm parameters become this client's.
     */
    void onUpdateAccepted(long transferId) {
        errorFeedback.commit(transferId);
        controlVariate.commit(transferId);
        keptBatchNorm.commit(transferId);
        updatesAccepted.incrementAndGet();
    }

    /** This client's id. */
    public String clientId() {
        return clientId;
    }

    /** Whether the client is connected and registered with the coordinator now. */
    public boolean isRegistered() {
        return registered;
    }

    /** How many updates this client has sent completely. */
    public int updatesSent() {
        return updatesSent.get();
    }

    /** How many of this client's updates the coordinator accepted (folded into a round's aggregate). */
    public int updatesAccepted() {
        return updatesAccepted.get();
    }

    /** How many connections were established so far (1 + reconnects). */
    public int connectionCount() {
        return connections.get();
    }

    /**
     * Closes the current connection abruptly, as a network failure would; the client then
     * reconnects as usual. For tests and fault injection.
     */
    public void dropConnection() {
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    LocalWork work() {
        return work;
    }

    /** The examples this client's Hello declares: its work's, unless {@link Builder#declaredExamples} says otherwise. */
    long declaredExamples() {
        return declaredExamples >= 0 ? declaredExamples : work.declaredExamples();
    }

    /** The update a task's training produced, as this client sends it: {@link Builder#updateTransform} applied. */
    LocalUpdate outgoing(long round, LocalUpdate trained) {
        return updateTransform == null ? trained : java.util.Objects.requireNonNull(
                updateTransform.apply(round, trained), "the update transform returned null");
    }

    /** Told about this client's connections and tasks; a no-op unless {@link Builder#listener} set one. */
    ClientListener listener() {
        return listener;
    }

    CodecRegistry codecs() {
        return codecs;
    }

    Executor trainingExecutor() {
        return trainingExecutor;
    }

    /** The process's shared model copies; null when this client keeps its own. */
    SharedModels sharedModels() {
        return sharedModels;
    }

    int maxFrameBytes() {
        return maxFrameBytes;
    }

    long maxModelBytes() {
        return maxModelBytes;
    }

    /** The pinned model-signing key, or null to accept unsigned models. */
    PublicKey trustedModelKey() {
        return trustedModelKey;
    }

    /** The TLS context, or null for plain TCP. */
    SslContext tls() {
        return tls;
    }

    InetSocketAddress coordinatorAddress() {
        return coordinator;
    }

    int maxChunkBytes() {
        return maxChunkBytes;
    }

    void setMaxChunkBytes(int bytes) {
        if (bytes > 0) {
            maxChunkBytes = Math.min(bytes, maxFrameBytes - WireProtocol.FRAME_OVERHEAD_BYTES / 2);
        }
    }

    int updateChunkElements() {
        return updateChunkElements;
    }

    /** The coordinator's limit on parameters per update chunk; 0 means none. */
    void setUpdateChunkElements(int elements) {
        updateChunkElements = elements > 0 ? elements : Integer.MAX_VALUE;
    }

    /** The certificate identity that signs and checks secure-aggregation keys, or null. */
    io.fedge.comm.secagg.SecAggIdentity secAggIdentity() {
        return secAggIdentity;
    }

    /** The residual lossy codecs carry between rounds. */
    ErrorFeedback errorFeedback() {
        return errorFeedback;
    }

    /** The error-feedback residual carried into the next update now (a copy), or null. For tests and tools. */
    public float[] errorFeedbackResidual() {
        return errorFeedback.residual();
    }

    /** SCAFFOLD's client control variate, kept across rounds. */
    ControlVariate controlVariate() {
        return controlVariate;
    }

    KeptBatchNorm keptBatchNorm() {
        return keptBatchNorm;
    }

    /**
     * The BatchNorm parameters this client keeps under FedBN (a copy: gamma, beta, running mean and
     * variance of every BatchNorm layer, in parameter order), or null when it keeps none.
     */
    public float[] keptBatchNormParameters() {
        return keptBatchNorm.value();
    }

    /**
     * This client's SCAFFOLD control variate {@code c_i} as the last accepted update left it (a
     * copy), or null before any. For tests and tools.
     */
    public float[] scaffoldControlVariate() {
        return controlVariate.value();
    }

    /** Randomness for keys and secret sharing. */
    java.security.SecureRandom secureRandom() {
        return secureRandom;
    }

    long nextTransferId() {
        return transferIds.incrementAndGet();
    }

    /**
     * Says goodbye ({@code CLIENT_CLOSED}), closes the connection, stops reconnecting, and releases
     * owned threads. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        ending.compareAndSet(null, new ClientEnding(ClientEnding.Kind.CLOSED, "closed by the application"));
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(CoordinatorLinkHandler.bye(ByeCode.CLIENT_CLOSED, "client closed"))
                    .addListener(ChannelFutureListener.CLOSE);
            ch.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
        terminated.countDown();
    }

    /** Waits until the client has ended (closed, finished, refused or given up) and released its threads. */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    /**
     * Configures a {@link FederatedClient}. The coordinator address, the client id and the local
     * data are required. Each setter may be called once.
     */
    public static final class Builder {
        private InetSocketAddress coordinator;
        private String clientId;
        private LocalWork work;
        private CodecRegistry codecs = CodecRegistry.defaultRegistry();
        private EventLoopGroup group;
        private SslContext tls;
        private PublicKey trustedModelKey;
        private Executor trainingExecutor;
        private SharedModels sharedModels;
        private Duration initialBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration giveUpAfter;
        private int maxFrameBytes = WireProtocol.DEFAULT_MAX_FRAME_BYTES;
        private long maxModelBytes = 1L << 30;
        private long seed = ThreadLocalRandom.current().nextLong();
        private java.nio.file.Path stateDir;
        private io.fedge.comm.secagg.SecAggIdentity secAggIdentity;
        private UpdateTransform updateTransform;
        private long declaredExamples = -1;
        private ClientListener listener = new ClientListener() { };
        private final java.util.Set<String> set = new java.util.HashSet<>();

        private Builder() {
        }

        private void once(String name) {
            if (!set.add(name)) {
                throw new IllegalStateException(name + " was already set");
            }
        }

        /** The coordinator's address. Required. */
        public Builder coordinator(InetSocketAddress address) {
            once("coordinator");
            this.coordinator = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The coordinator's host and port. */
        public Builder coordinator(String host, int port) {
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 1-65535: " + port);
            }
            return coordinator(InetSocketAddress.createUnresolved(Objects.requireNonNull(host, "host"), port));
        }

        /**
         * Speaks TLS with this context (from {@link io.fedge.comm.tls.TlsContexts#client}): the
         * coordinator's certificate must come from the context's CA and name the host dialled,
         * and the client presents its own certificate, whose common name must be the client id.
         * Without it the client speaks plain TCP.
         */
        public Builder tls(SslContext context) {
            once("tls");
            this.tls = Objects.requireNonNull(context, "context");
            if (!context.isClient()) {
                throw new IllegalArgumentException("tls needs a client context");
            }
            return this;
        }

        /**
         * Pins the coordinator's Ed25519 model-signing public key: every model must carry a
         * signature that verifies with it, or the client refuses the task before training and
         * closes the connection. Without it the client accepts unsigned models.
         */
        public Builder trustedModelKey(PublicKey key) {
            once("trustedModelKey");
            this.trustedModelKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /** This device's id: 1-128 letters, digits or {@code ._:@-}. Required. */
        public Builder clientId(String id) {
            once("clientId");
            Objects.requireNonNull(id, "id");
            if (!id.matches("[A-Za-z0-9._:@-]{1,128}")) {
                throw new IllegalArgumentException("clientId must be 1-128 letters, digits or ._:@- : '" + id + "'");
            }
            this.clientId = id;
            return this;
        }

        /** The local training data; read into memory once. Required (or {@link #data(DataSet)}, or {@link #work}). */
        public Builder data(DataSetIterator data) {
            once("data");
            this.work = new LocalTrainer(data);
            return this;
        }

        /** The local training data as one data set. */
        public Builder data(DataSet data) {
            once("data");
            this.work = new LocalTrainer(data);
            return this;
        }

        /**
         * What the client does with its tasks instead of training on local data: a gateway's
         * site rounds, for one. Exclusive with {@link #data}.
         */
        public Builder work(LocalWork work) {
            once("data");
            this.work = Objects.requireNonNull(work, "work");
            return this;
        }

        /** The codecs this client can encode updates with; default {@link CodecRegistry#defaultRegistry()}. */
        public Builder codecs(CodecRegistry codecs) {
            once("codecs");
            this.codecs = Objects.requireNonNull(codecs, "codecs");
            return this;
        }

        /** Shares an event loop group (simulations run many clients on one); default a private one-thread group. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            once("eventLoopGroup");
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /** Where local training runs; default a private thread. Simulations share a small pool. */
        public Builder trainingExecutor(Executor executor) {
            once("trainingExecutor");
            this.trainingExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Keeps one copy of each model for all the clients of this process that share {@code models}
         * (simulations); default each client keeps its own.
         */
        public Builder sharedModels(SharedModels models) {
            once("sharedModels");
            this.sharedModels = Objects.requireNonNull(models, "models");
            return this;
        }

        /** Reconnect delays start at {@code initial} and double up to {@code max}, with jitter. */
        public Builder reconnectBackoff(Duration initial, Duration max) {
            once("reconnectBackoff");
            if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("need 0 < initial <= max: " + initial + ", " + max);
            }
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /**
         * Stops the client ({@link ClientEnding.Kind#GAVE_UP}) once the coordinator has been
         * unreachable this long: since the start, or since the last registered connection was
         * lost. Default never: a device keeps trying.
         */
        public Builder giveUpAfter(Duration bound) {
            once("giveUpAfter");
            if (bound.isNegative() || bound.isZero()) {
                throw new IllegalArgumentException("giveUpAfter must be positive: " + bound);
            }
            this.giveUpAfter = bound;
            return this;
        }

        /** The longest frame accepted from the coordinator; default 1 MiB + 64 KiB. */
        public Builder maxFrameBytes(int bytes) {
            once("maxFrameBytes");
            if (bytes <= WireProtocol.FRAME_OVERHEAD_BYTES) {
                throw new IllegalArgumentException("maxFrameBytes must exceed " + WireProtocol.FRAME_OVERHEAD_BYTES
                        + ": " + bytes);
            }
            this.maxFrameBytes = bytes;
            return this;
        }

        /** The largest model this client accepts; default 1 GiB. */
        public Builder maxModelBytes(long bytes) {
            once("maxModelBytes");
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxModelBytes must be positive: " + bytes);
            }
            this.maxModelBytes = bytes;
            return this;
        }

        /**
         * Where the client keeps state across restarts: the error-feedback residual of lossy codecs
         * ({@code error-feedback.bin}) and SCAFFOLD's control variate
         * ({@code scaffold-control-variate.bin}). Default none: they live in memory only.
         */
        public Builder stateDir(java.nio.file.Path dir) {
            once("stateDir");
            this.stateDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * The client's certificate and the CA, for secure aggregation: the client signs its round
         * keys with its certificate's key and refuses a round in which a neighbour's keys are not
         * signed by a certificate of this CA naming that neighbour, so a coordinator cannot slip in
         * keys of its own. Without it, keys are taken as the coordinator relays them.
         */
        public Builder secureAggregationIdentity(io.fedge.comm.secagg.SecAggIdentity identity) {
            once("secureAggregationIdentity");
            this.secAggIdentity = Objects.requireNonNull(identity, "identity");
            return this;
        }

        /**
         * For simulations and robustness tests, not devices: every update this client sends is
         * {@code transform}'s rewrite of what training produced (its values and the examples its
         * {@code TrainResult} claims), applied after training and before encoding, masking and
         * sealing, so the rest of the pipeline is the real one. Default none.
         */
        public Builder updateTransform(UpdateTransform transform) {
            once("updateTransform");
            this.updateTransform = Objects.requireNonNull(transform, "transform");
            return this;
        }

        /**
         * For simulations and robustness tests, not devices: the example count this client's
         * {@code Hello} declares, instead of the number of its local examples. Default the latter.
         *
         * @throws IllegalArgumentException if {@code count} is negative
         */
        public Builder declaredExamples(long count) {
            once("declaredExamples");
            if (count < 0) {
                throw new IllegalArgumentException("declaredExamples must be >= 0: " + count);
            }
            this.declaredExamples = count;
            return this;
        }

        /** Told about this client's connections and tasks (for swarms and simulations); default none. */
        public Builder listener(ClientListener listener) {
            once("listener");
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Seeds reconnect jitter and transfer ids; default random. */
        public Builder seed(long seed) {
            once("seed");
            this.seed = seed;
            return this;
        }

        /** @throws IllegalStateException if a required setting is missing */
        public FederatedClient build() {
            if (coordinator == null || clientId == null || work == null) {
                throw new IllegalStateException("coordinator, clientId and data (or work) are required");
            }
            return new FederatedClient(this);
        }
    }
}
