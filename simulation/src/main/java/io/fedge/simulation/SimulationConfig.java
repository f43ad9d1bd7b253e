package io.fedge.simulation;

import io.fedge.core.model.ModelSource;
import io.fedge.data.DataSource;
import io.fedge.data.Partitions;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that defines a simulated federation. The names match the flags of
 * {@code fedge simulate} and of the PyTorch reference script.
 *
 * @param model the initial model: a preset or provider by name, or a DL4J configuration
 *     ({@link ModelSource})
 * @param partition a scheme from {@link Partitions#NAMES}; {@code natural} takes the clients from the data
 *     (then {@code clients} is ignored and {@code perRound} equal to it means every client)
 * @param alpha Dirichlet concentration (only for {@code dirichlet})
 * @param clients number of virtual clients
 * @param perRound clients selected per round
 * @param rounds training rounds
 * @param localEpochs local epochs per round
 * @param batch local mini-batch size
 * @param lr local SGD learning rate
 * @param seed seeds partitioning, initialisation, selection and shuffling
 * @param dataDir folder with the Fashion-MNIST IDX files (the default data)
 * @param outDir where history and model are written (null: nowhere)
 * @param parallelism how many clients train at once
 * @param testLimit evaluate on at most this many test examples (0: all)
 * @param trainLimit use at most this many training examples, a seeded random subset (0: all)
 * @param tls run the clients and the coordinator over mutual TLS with throwaway certificates, signed
 *     models and updates sealed end to end; false runs plain TCP, unsigned and unsealed
 * @param secureAggregation aggregate every round securely (masked updates, docs/secure-aggregation.md)
 * @param codec the update codec pipeline, such as {@code fp32} or {@code topk:0.01+int8}
 * @param halfPrecisionModels send models to clients with half-precision parameters
 * @param codecWarmup codecs for the first rounds, one per round, before {@code codec}
 * @param deltaVersions send models as deltas against the client's last version, keeping this many versions (0: off)
 * @param holdout keep the last this many training examples away from every client (the transfer
 *     set the coordinator may distil an edge model on; {@code fedge export --transfer})
 * @param attack what the attackers do every round, or null for none ({@code docs/robustness.md})
 * @param attackers how many clients attack, chosen from the seed ({@link io.fedge.simulation.attack.Attackers});
 *     0 without an attack
 * @param timeouts the coordinator's round deadline, stall timeout and slow-reader timeout
 * @param strategy the aggregation strategy and its parameters, {@code NAME[:key=value,...]}
 *     ({@link io.fedge.aggregation.Strategies})
 * @param data where the training and test sets come from and how to read them
 * @param evaluate where each new model is evaluated: the test set, the clients' data, or both
 */
public record SimulationConfig(ModelSource model, String partition, double alpha, int clients, int perRound, int rounds,
                               int localEpochs, int batch, double lr, long seed, Path dataDir, Path outDir,
                               int parallelism, int testLimit, int trainLimit, boolean tls,
                               boolean secureAggregation, String codec, boolean halfPrecisionModels,
                               java.util.List<String> codecWarmup, int holdout,
                               int deltaVersions, io.fedge.simulation.attack.Attack attack, int attackers,
                               Timeouts timeouts, String strategy, DataSource data, EvaluateOn evaluate) {
    /**
     * The coordinator's timeouts in a simulation.
     *
     * @param round the round deadline ({@code Coordinator.Builder#roundTimeout})
     * @param stall how long an admitted upload may go without a chunk ({@code transferProgressTimeout})
     * @param slowReader how long a connection may stay unwritable ({@code slowReaderTimeout})
     */
    public record Timeouts(java.time.Duration round, java.time.Duration stall, java.time.Duration slowReader) {
        /** What {@code fedge simulate} uses unless told otherwise: 30 minutes, 30 s, 2 minutes. */
        public static final Timeouts DEFAULTS = new Timeouts(java.time.Duration.ofMinutes(30),
                java.time.Duration.ofSeconds(30), java.time.Duration.ofMinutes(2));

        public Timeouts {
            for (java.time.Duration d : new java.time.Duration[] {round, stall, slowReader}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("timeouts must be positive: " + round + ", " + stall + ", "
                            + slowReader);
                }
            }
        }
    }

    /** A simulation on Fashion-MNIST in {@code dataDir}, evaluated on its test set. */
    public SimulationConfig(ModelSource model, String partition, double alpha, int clients, int perRound, int rounds,
                            int localEpochs, int batch, double lr, long seed, Path dataDir, Path outDir,
                            int parallelism, int testLimit, int trainLimit, boolean tls,
                            boolean secureAggregation, String codec, boolean halfPrecisionModels,
                            java.util.List<String> codecWarmup, int holdout,
                            int deltaVersions, io.fedge.simulation.attack.Attack attack, int attackers,
                            Timeouts timeouts, String strategy) {
        this(model, partition, alpha, clients, perRound, rounds, localEpochs, batch, lr, seed, dataDir, outDir,
                parallelism, testLimit, trainLimit, tls, secureAggregation, codec, halfPrecisionModels, codecWarmup,
                holdout, deltaVersions, attack, attackers, timeouts, strategy, DataSource.fashionMnist(dataDir),
                EvaluateOn.SERVER);
    }

    public SimulationConfig {
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(evaluate, "evaluate");
        Objects.requireNonNull(strategy, "strategy");
        if ((attack == null) != (attackers == 0) || attackers < 0 || attackers >= clients) {
            throw new IllegalArgumentException("an attack needs 1 <= attackers < clients, and attackers an attack: "
                    + attack + ", " + attackers + " of " + clients);
        }
        if (attack != null && attack.kind() == io.fedge.simulation.attack.Attack.Kind.STALL && secureAggregation) {
            throw new IllegalArgumentException("a stalling attacker sends plain updates; it cannot join a securely "
                    + "aggregated round");
        }
        Objects.requireNonNull(codec, "codec");
        codecWarmup = java.util.List.copyOf(codecWarmup);
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(dataDir, "dataDir");
        if (!Partitions.NAMES.contains(partition)) {
            throw new IllegalArgumentException("partition must be one of " + Partitions.NAMES + ": " + partition);
        }
        if (clients <= 0 || perRound <= 0 || perRound > clients) {
            throw new IllegalArgumentException("need 0 < per-round <= clients: " + perRound + ", " + clients);
        }
        if (rounds <= 0 || localEpochs <= 0 || batch <= 0 || parallelism <= 0) {
            throw new IllegalArgumentException("rounds, local epochs, batch and parallelism must be positive: "
                    + rounds + ", " + localEpochs + ", " + batch + ", " + parallelism);
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("lr must be positive: " + lr);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be positive: " + alpha);
        }
        if (secureAggregation && perRound < 3) {
            throw new IllegalArgumentException("secure aggregation needs at least 3 clients per round: " + perRound);
        }
        if (holdout < 0) {
            throw new IllegalArgumentException("holdout must not be negative: " + holdout);
        }
        if (testLimit < 0 || trainLimit < 0) {
            throw new IllegalArgumentException("limits must be non-negative: " + testLimit + ", " + trainLimit);
        }
    }

    /** The configuration as it is written into {@code history.json}. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.describe());
        m.put("strategy", strategy);
        m.put("partition", partition);
        m.put("alpha", partition.equals("dirichlet") ? alpha : null);
        m.put("clients", clients);
        m.put("per_round", perRound);
        m.put("rounds", rounds);
        m.put("local_epochs", localEpochs);
        m.put("batch", batch);
        m.put("lr", lr);
        m.put("seed", seed);
        m.put("parallelism", parallelism);
        m.put("train_limit", trainLimit);
        m.put("test_limit", testLimit);
        m.put("tls", tls);
        m.put("secure_aggregation", secureAggregation);
        m.put("codec", codec);
        m.put("codec_warmup", codecWarmup);
        m.put("holdout", holdout);
        m.put("downlink_delta_versions", deltaVersions);
        m.put("downlink", halfPrecisionModels ? "fp16" : "fp32");
        m.put("attack", attack == null ? null : attack.toString());
        m.put("attackers", attackers);
        m.put("round_timeout_s", timeouts.round().toMillis() / 1e3);
        m.put("stall_timeout_s", timeouts.stall().toMillis() / 1e3);
        m.put("slow_reader_timeout_s", timeouts.slowReader().toMillis() / 1e3);
        // Fashion-MNIST keeps the plain folder it always had here, so that its runs' descriptions (and their
        // resumable state) stay what they were
        m.put("data", data.isFashionMnist() ? dataDir.toString() : data.describe());
        if (evaluate != EvaluateOn.SERVER) {
            m.put("evaluate", evaluate.label());
        }
        return m;
    }
}
