package io.fedge.coordinator;

import io.fedge.comm.tls.RevocationList;
import io.fedge.compression.CodecRegistry;
import io.netty.handler.ssl.SslContext;

import java.security.PrivateKey;
import java.util.concurrent.ExecutorService;

/**
 * What the connection handlers share with the round loop: the registry, the upload gate, the
 * aggregation thread, the limits, and the round and evaluation in progress (published through
 * volatile fields by the round loop).
 */
final class CoordinatorState {
    final ClientRegistry registry = new ClientRegistry();
    final TrafficCounter traffic = new TrafficCounter();
    final CoordinatorLimits limits;
    final UploadGate uploadGate;
    final ExecutorService aggregationExecutor;
    final CodecRegistry codecs;
    /** The server's TLS context, or null for plain TCP. */
    final SslContext tls;
    /** Signs every published model (Ed25519), or null to publish unsigned models. */
    final PrivateKey modelSigningKey;
    /** Whether rounds publish a key and require updates sealed to it. */
    final boolean sealUpdates;
    /** How rounds aggregate securely, or null for plain aggregation. */
    final SecureAggregation secureAggregation;
    /** Whether models travel to clients with half-precision parameters. */
    final boolean halfPrecisionModels;
    /** How many recent model versions are kept to send deltas against; 0 sends every model in full. */
    final int deltaModelVersions;
    /** Per-connection protections: connection cap, byte rate, backpressure. */
    final ConnectionLimits connectionLimits;
    /** The open connections, and the cap on them. */
    final ConnectionLimiter connections;
    /** Logs and counts refused TLS handshakes; null for plain TCP. */
    final TlsHandshakeLog handshakeLog;
    /** Closes connections whose certificate is revoked; null without a revocation list. */
    final RevocationEnforcer revocation;
    /** The coordinator's metrics. */
    final CoordinatorMetrics metrics = new CoordinatorMetrics();
    /** Counts the Error messages sent to clients into {@link #metrics}. */
    final RefusedMessageCounter refusedMessages = new RefusedMessageCounter(metrics);
    volatile ActiveRound round;
    volatile ActiveEvaluation evaluation;
    /** What one client's update may weigh and move; set before the coordinator starts. */
    UpdateBounds bounds = UpdateBounds.defaults();
    /** The most devices one gateway's update may aggregate (and declare at registration); set before the coordinator starts. */
    int maxGatewayDevices = 10_000;
    /** Which clients missed deadlines, and whether they have shown signs of life since. */
    final ClientHealth health = new ClientHealth();
    private final Object progress = new Object();
    private long progressEvents;

    /** Wakes the round thread: a secure-aggregation message arrived, or a client left or failed. */
    void signalProgress() {
        synchronized (progress) {
            progressEvents++;
            progress.notifyAll();
        }
    }

    /** Waits until {@link #signalProgress} is called after {@code seen}, or {@code millis} pass; returns the event count. */
    long awaitProgress(long seen, long millis) throws InterruptedException {
        long until = System.currentTimeMillis() + millis;
        synchronized (progress) {
            long left = millis;
            while (progressEvents == seen && left > 0) {
                progress.wait(left);
                left = until - System.currentTimeMillis();
            }
            return progressEvents;
        }
    }

    long progressEvents() {
        synchronized (progress) {
            return progressEvents;
        }
    }

    CoordinatorState(CoordinatorLimits limits, ExecutorService aggregationExecutor, CodecRegistry codecs,
                     SslContext tls, PrivateKey modelSigningKey,
                     boolean sealUpdates, SecureAggregation secureAggregation, boolean halfPrecisionModels,
                     int deltaModelVersions) {
        this(limits, aggregationExecutor, codecs, tls, modelSigningKey, sealUpdates, secureAggregation,
                halfPrecisionModels, deltaModelVersions, ConnectionLimits.DEFAULTS, null);
    }

    CoordinatorState(CoordinatorLimits limits, ExecutorService aggregationExecutor, CodecRegistry codecs,
                     SslContext tls, PrivateKey modelSigningKey,
                     boolean sealUpdates, SecureAggregation secureAggregation, boolean halfPrecisionModels,
                     int deltaModelVersions, ConnectionLimits connectionLimits, RevocationList revocations) {
        this.connectionLimits = connectionLimits;
        this.connections = new ConnectionLimiter(connectionLimits.maxConnections());
        this.handshakeLog = tls == null ? null : new TlsHandshakeLog();
        this.revocation = tls == null || revocations == null ? null
                : new RevocationEnforcer(revocations, connections.live());
        this.deltaModelVersions = deltaModelVersions;
        this.halfPrecisionModels = halfPrecisionModels;
        this.sealUpdates = sealUpdates;
        this.secureAggregation = secureAggregation;
        this.limits = limits;
        this.tls = tls;
        this.modelSigningKey = modelSigningKey;
        this.uploadGate = new UploadGate(limits.uploadBufferBytes());
        this.aggregationExecutor = aggregationExecutor;
        this.codecs = codecs;
    }
}
