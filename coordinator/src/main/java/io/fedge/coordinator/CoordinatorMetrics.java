package io.fedge.coordinator;

import io.fedge.aggregation.Failure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The coordinator's metrics, in a Micrometer registry scraped in Prometheus' text format
 * ({@link #scrape()}, served at {@code /metrics} by the admin server). Round counts come from the
 * round records themselves, so they always agree with the history:
 * <ul>
 * <li>{@code fedge_rounds_total{outcome="succeeded"|"failed"}}, {@code fedge_round_duration_seconds}
 *     (a histogram);</li>
 * <li>{@code fedge_clients_connected}, {@code fedge_clients_selected_total},
 *     {@code fedge_clients_accepted_total}, {@code fedge_clients_failed_total{reason}} (a
 *     {@link FailureCategory});</li>
 * <li>{@code fedge_received_bytes_total}, {@code fedge_sent_bytes_total} (every client
 *     connection, framing and TLS included);</li>
 * <li>{@code fedge_aggregation_seconds} (time the aggregation thread spent per task: decoding,
 *     folding and finishing updates);</li>
 * <li>{@code fedge_refused_messages_total{code}} (every Error the coordinator sent a client),
 *     {@code fedge_connections_refused_total}, {@code fedge_tls_handshakes_refused_total};</li>
 * <li>{@code fedge_model_version}, {@code fedge_model_stable_version}, {@code fedge_model_test_accuracy},
 *     {@code fedge_model_federated_accuracy};</li>
 * <li>the JVM's memory and threads.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class CoordinatorMetrics implements RoundListener {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter succeeded;
    private final Counter failedRounds;
    private final Timer roundDuration;
    private final Counter selected;
    private final Counter accepted;
    private final Timer aggregation;
    private final DistributionSummary updatesPerRound;
    private final Map<String, Counter> failedByReason = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusedByCode = new ConcurrentHashMap<>();
    private volatile double testAccuracy = Double.NaN;
    private volatile double federatedAccuracy = Double.NaN;
    private volatile double modelVersion;

    CoordinatorMetrics() {
        succeeded = Counter.builder("fedge.rounds").tag("outcome", "succeeded")
                .description("rounds that published a new model").register(registry);
        failedRounds = Counter.builder("fedge.rounds").tag("outcome", "failed")
                .description("rounds that did not count").register(registry);
        roundDuration = Timer.builder("fedge.round.duration").description("a round from selection to its new model")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofHours(2)).register(registry);
        selected = Counter.builder("fedge.clients.selected").description("clients selected, summed over rounds")
                .register(registry);
        accepted = Counter.builder("fedge.clients.accepted").description("updates accepted, summed over rounds")
                .register(registry);
        updatesPerRound = DistributionSummary.builder("fedge.round.accepted.updates")
                .description("updates accepted per round").register(registry);
        aggregation = Timer.builder("fedge.aggregation").description("aggregation thread time per task")
                .register(registry);
        Gauge.builder("fedge.model.version", this, m -> m.modelVersion).description("the newest model version")
                .register(registry);
        Gauge.builder("fedge.model.test.accuracy", this, m -> m.testAccuracy)
                .description("the newest version's server test accuracy").register(registry);
        Gauge.builder("fedge.model.federated.accuracy", this, m -> m.federatedAccuracy)
                .description("the newest version's federated accuracy").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }

    /** Binds the gauges and counters that read the coordinator's live state. */
    void bind(CoordinatorState state, ModelRegistry models) {
        gauge("fedge.clients.connected", "clients connected and registered", state, s -> s.registry.size());
        FunctionCounter.builder("fedge.received", state, s -> s.traffic.bytesIn()).baseUnit("bytes")
                .description("bytes received from clients").register(registry);
        FunctionCounter.builder("fedge.sent", state, s -> s.traffic.bytesOut()).baseUnit("bytes")
                .description("bytes sent to clients").register(registry);
        FunctionCounter.builder("fedge.connections.refused", state, s -> s.connections.refused())
                .description("connections over the connection cap").register(registry);
        if (state.handshakeLog != null) {
            FunctionCounter.builder("fedge.tls.handshakes.refused", state.handshakeLog, TlsHandshakeLog::refusedTotal)
                    .description("TLS handshakes refused on the client port").register(registry);
        }
        gauge("fedge.model.stable.version", "the version labelled stable, -1 without one", models,
                m -> m.labelled(ModelRegistry.STABLE).map(ModelEntry::version).orElse(-1L));
    }

    private <T> void gauge(String name, String description, T object, ToDoubleFunction<T> f) {
        Gauge.builder(name, object, f).description(description).register(registry);
    }

    /** One Error message sent to a client. */
    void refusedMessage(String code) {
        refusedByCode.computeIfAbsent(code, c -> Counter.builder("fedge.refused.messages").tag("code", c)
                .description("Error messages sent to clients").register(registry)).increment();
    }

    /** Time the aggregation thread spent on one task. */
    void aggregationTask(long nanos) {
        aggregation.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void roundFinished(RoundRecord r) {
        (r.succeeded() ? succeeded : failedRounds).increment();
        if (r.selected() > 0) {
            roundDuration.record((long) (r.roundSeconds() * 1e9), TimeUnit.NANOSECONDS);
        }
        selected.increment(r.selected());
        accepted.increment(r.clients());
        updatesPerRound.record(r.clients());
        for (Failure f : r.notCounted()) {
            String reason = FailureCategory.of(f.reason());
            failedByReason.computeIfAbsent(reason, k -> Counter.builder("fedge.clients.failed").tag("reason", k)
                    .description("selected clients that did not count, by reason").register(registry)).increment();
        }
        if (r.succeeded()) {
            modelVersion = r.modelVersion();
            testAccuracy = r.testAccuracy();
            federatedAccuracy = r.federatedAccuracy();
        }
    }

    /** A version published outside a round (a rollback's copy). */
    void versionPublished(long version, double accuracy) {
        modelVersion = version;
        testAccuracy = accuracy;
    }

    /** The metrics in Prometheus' text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    /** The Micrometer registry, to add meters of one's own. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }
}
