package io.fedge.client;

import io.fedge.comm.Transports;
import io.fedge.comm.WireProtocol;
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
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A federated learning client to embed in a device or service. It connects to a coordinator,
 * receives the global model (architecture included), trains it on local data with DL4J, and sends
 * back only the encoded update. It reconnects with exponential backoff and jitter whenever the
 * connection drops; an update interrupted by a drop is discarded and the client simply trains
 * again when it gets the next task. When the coordinator says goodbye (its federation is over),
 * the client closes itself and {@link #awaitTermination} returns.
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
    private final SslContext tls;
    private final PublicKey trustedModelKey;
    private final String clientId;
    private final LocalTrainer trainer;
    private final CodecRegistry codecs;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Executor trainingExecutor;
    private final ExecutorService ownedExecutor;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int maxFrameBytes;
    private final long maxModelBytes;
    private final Random jitter;
    private final AtomicInteger attempts = new AtomicInteger();
    private final AtomicLong transferIds;
    private final java.security.SecureRandom secureRandom = new java.security.SecureRandom();
    private final ErrorFeedback errorFeedback;
    private final io.fedge.comm.secagg.SecAggIdentity secAggIdentity;
    private final AtomicInteger updatesSent = new AtomicInteger();
    private final AtomicInteger updatesAccepted = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile int maxChunkBytes = WireProtocol.DEFAULT_CHUNK_BYTES;
    private volatile int updateChunkElements = Integer.MAX_VALUE;
    private volatile boolean registered;
    private volatile Channel channel;
    private boolean started;
    private volatile boolean closed;

    private FederatedClient(Builder b) {
        this.coordinator = b.coordinator;
        this.tls = b.tls;
        this.trustedModelKey = b.trustedModelKey;
        this.clientId = b.clientId;
        this.trainer = b.trainer;
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
        this.maxFrameBytes = b.maxFrameBytes;
        this.maxModelBytes = b.maxModelBytes;
        this.secAggIdentity = b.secAggIdentity;
        this.errorFeedback = b.stateDir == null ? ErrorFeedback.inMemory()
                : ErrorFeedback.persistent(b.stateDir.resolve("error-feedback.bin"));
        this.jitter = new Random(b.seed * 0x9E3779B97F4A7C15L + clientId.hashCode());
        this.transferIds = new AtomicLong((jitter.nextLong() & 0x0FFF_FFFF_FFFF_FFFFL) << 1);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Connects, and keeps reconnecting until {@link #close()}. Returns at once.
     *
     * @throws IllegalStateException if already started or closed
     */
    public synchronized FederatedClient start() {
        if (started || closed) {
            throw new IllegalStateException(closed ? "client is closed" : "client already started");
        }
        started = true;
        connect();
        return this;
    }

    private void connect() {
        if (closed) {
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
                if (closed) {
                    channel.close();
                }
            } else {
                log.debug("client {}: cannot connect to {}: {}", clientId, coordinator, future.cause().toString());
                scheduleReconnect();
            }
        });
    }

    private void scheduleReconnect() {
        if (closed || group.isShuttingDown()) {
            return;
        }
        int attempt = Math.min(attempts.getAndIncrement(), 20);
        long cap = Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() << Math.min(attempt, 30));
        long delay;
        synchronized (jitter) {
            delay = cap / 2 + (long) (jitter.nextDouble() * (cap / 2 + 1));
        }
        group.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    void onRegistered() {
        registered = true;
        attempts.set(0);
    }

    void onDisconnected() {
        registered = false;
        if (!closed) {
            scheduleReconnect();
        }
    }

    /** The coordinator ended the federation: stop, without reconnecting. */
    void onBye() {
        java.util.concurrent.CompletableFuture.runAsync(this::close);
    }

    /** The chunks of an update were written whole; what it leaves for error feedback waits for its acceptance. */
    void onUpdateSent() {
        updatesSent.incrementAndGet();
    }

    /** The coordinator folded update {@code transferId}: its error-feedback residual is carried forward. */
    void onUpdateAccepted(long transferId) {
        errorFeedback.commit(transferId);
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

    LocalTrainer trainer() {
        return trainer;
    }

    CodecRegistry codecs() {
        return codecs;
    }

    Executor trainingExecutor() {
        return trainingExecutor;
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

    /** Randomness for keys and secret sharing. */
    java.security.SecureRandom secureRandom() {
        return secureRandom;
    }

    long nextTransferId() {
        return transferIds.incrementAndGet();
    }

    /** Says goodbye, closes the connection, stops reconnecting, and releases owned threads. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(CoordinatorLinkHandler.bye("client closed")).addListener(ChannelFutureListener.CLOSE);
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

    /** Waits until {@link #close()} has been called and finished. */
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
        private LocalTrainer trainer;
        private CodecRegistry codecs = CodecRegistry.defaultRegistry();
        private EventLoopGroup group;
        private SslContext tls;
        private PublicKey trustedModelKey;
        private Executor trainingExecutor;
        private Duration initialBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private int maxFrameBytes = WireProtocol.DEFAULT_MAX_FRAME_BYTES;
        private long maxModelBytes = 1L << 30;
        private long seed = ThreadLocalRandom.current().nextLong();
        private java.nio.file.Path stateDir;
        private io.fedge.comm.secagg.SecAggIdentity secAggIdentity;
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

        /** The local training data; read into memory once. Required (or {@link #data(DataSet)}). */
        public Builder data(DataSetIterator data) {
            once("data");
            this.trainer = new LocalTrainer(data);
            return this;
        }

        /** The local training data as one data set. */
        public Builder data(DataSet data) {
            once("data");
            this.trainer = new LocalTrainer(data);
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
         * ({@code error-feedback.bin}). Default none: the residual lives in memory only.
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

        /** Seeds reconnect jitter and transfer ids; default random. */
        public Builder seed(long seed) {
            once("seed");
            this.seed = seed;
            return this;
        }

        /** @throws IllegalStateException if a required setting is missing */
        public FederatedClient build() {
            if (coordinator == null || clientId == null || trainer == null) {
                throw new IllegalStateException("coordinator, clientId and data are required");
            }
            return new FederatedClient(this);
        }
    }
}
