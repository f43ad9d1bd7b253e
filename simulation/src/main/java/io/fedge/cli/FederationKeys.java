package io.fedge.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.fedge.cli.ValueType.BOOLEAN;
import static io.fedge.cli.ValueType.DURATION;
import static io.fedge.cli.ValueType.INTEGER;
import static io.fedge.cli.ValueType.LIST;
import static io.fedge.cli.ValueType.NUMBER;
import static io.fedge.cli.ValueType.PATH;
import static io.fedge.cli.ValueType.STRATEGY;
import static io.fedge.cli.ValueType.STRING;

/**
 * The one table of a federation file ({@code --config FILE}, {@code docs/config.md}): each key
 * ({@code section.name}, or a top-level name such as {@code rounds}), its type, and the option of
 * each command that it sets. A new option that belongs to a federation's description needs only a
 * row here; one that does not goes in {@link #OPERATIONAL}. {@code FederationKeysTest} checks that
 * every option of the commands is in one or the other. Immutable.
 */
final class FederationKeys {
    static final String SIMULATE = "simulate";
    static final String COORDINATOR = "coordinator";
    static final String CLIENT = "client";

    /** The commands that take {@code --config}. */
    static final List<String> COMMANDS = List.of(SIMULATE, COORDINATOR, CLIENT);

    /** The option a key sets in one command; a negated option is set to the opposite of the key's boolean. */
    record Target(String option, boolean negated) {
    }

    /**
     * One key of the file.
     *
     * @param path        {@code section.name} or a top-level {@code name}
     * @param type        what its value must be
     * @param description what it is, for messages
     * @param targets     the option it sets, by command
     */
    record Key(String path, ValueType type, String description, Map<String, Target> targets) {
        Key {
            if (!path.matches("[a-z_]+(\\.[a-z_]+)?")) {
                throw new IllegalArgumentException("key must be name or section.name in lower case: " + path);
            }
            targets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targets));
        }

        /** {@code training} for {@code training.lr}; the key itself for a top-level key. */
        String section() {
            int dot = path.indexOf('.');
            return dot < 0 ? path : path.substring(0, dot);
        }

        /** Whether the key sits at the top of the file ({@code rounds}) rather than in a section. */
        boolean topLevel() {
            return path.indexOf('.') < 0;
        }

        /** {@code lr} for {@code training.lr}. */
        String name() {
            return path.substring(path.indexOf('.') + 1);
        }

        Key set(String option, String... commands) {
            return with(option, false, commands);
        }

        /** Sets a boolean option to the opposite of this key ({@code security.tls: false} is {@code --insecure}). */
        Key setNegated(String option, String... commands) {
            if (type != BOOLEAN) {
                throw new IllegalArgumentException(path + ": only a boolean key can set a negated option");
            }
            return with(option, true, commands);
        }

        private Key with(String option, boolean negated, String... commands) {
            Map<String, Target> t = new LinkedHashMap<>(targets);
            for (String c : commands) {
                if (!COMMANDS.contains(c) || t.putIfAbsent(c, new Target(option, negated)) != null) {
                    throw new IllegalArgumentException(path + ": unknown command or set twice: " + c);
                }
            }
            return new Key(path, type, description, t);
        }
    }

    private static Key key(String path, ValueType type, String description) {
        return new Key(path, type, description, Map.of());
    }

    /** Every key, in the order {@code --print-config} writes them. */
    static final List<Key> KEYS = List.of(
            key("model.name", STRING, "the model: a preset or a model provider's name").set("--model", SIMULATE, COORDINATOR),
            key("model.config", PATH, "the model as a DL4J configuration JSON file (either kind) or a Keras .h5 file; wins over model.name")
                    .set("--model-config", SIMULATE, COORDINATOR),
            key("model.initial", PATH, "a fedge model file to start a new federation from")
                    .set("--resume", COORDINATOR),
            key("data.dir", PATH, "the folder of the Fashion-MNIST IDX files").set("--data", SIMULATE, COORDINATOR, CLIENT),
            key("data.format", STRING, "the data's format: idx, images, csv or npy").set("--data-format", SIMULATE, COORDINATOR, CLIENT),
            key("data.train", PATH, "the training data (a file or an image folder)").set("--train", SIMULATE, COORDINATOR, CLIENT),
            key("data.train_labels", PATH, "the training labels file (idx, npy)").set("--train-labels", SIMULATE, COORDINATOR, CLIENT),
            key("data.test", PATH, "the test data, read with the same options").set("--test", SIMULATE, COORDINATOR, CLIENT),
            key("data.test_labels", PATH, "the test labels file (idx, npy)").set("--test-labels", SIMULATE, COORDINATOR, CLIENT),
            key("data.test_fraction", NUMBER, "without data.test: a seeded fraction of the training data held out for testing").set("--test-fraction", SIMULATE, COORDINATOR, CLIENT),
            key("data.task", STRING, "classification or regression (csv, npy)").set("--task", SIMULATE, COORDINATOR, CLIENT),
            key("data.label_column", LIST, "the label column(s) (csv): names or 0-based indices").set("--label-column", SIMULATE, COORDINATOR, CLIENT),
            key("data.feature_columns", LIST, "the feature columns (csv); default all the others").set("--feature-columns", SIMULATE, COORDINATOR, CLIENT),
            key("data.client_column", STRING, "the column naming each row's client, for partition natural (csv)").set("--client-column", SIMULATE, COORDINATOR, CLIENT),
            key("data.header", BOOLEAN, "the first line names the columns (csv)").set("--header", SIMULATE, COORDINATOR, CLIENT),
            key("data.skip_lines", INTEGER, "lines skipped before the data (csv)").set("--skip-lines", SIMULATE, COORDINATOR, CLIENT),
            key("data.delimiter", STRING, "the field separator, one character or tab (csv)").set("--delimiter", SIMULATE, COORDINATOR, CLIENT),
            key("data.channels", INTEGER, "1 (grey) or 3 (RGB) (images)").set("--channels", SIMULATE, COORDINATOR, CLIENT),
            key("data.scale", STRING, "feature scaling: none, minmax or standard (csv, npy)").set("--scale", SIMULATE, COORDINATOR, CLIENT),
            key("data.holdout", INTEGER, "training examples kept from every client").set("--holdout", SIMULATE),
            key("data.train_limit", INTEGER, "a seeded subset of the training set; 0 = all").set("--train-limit", SIMULATE),
            key("partition.scheme", STRING, "how the training set is split among clients")
                    .set("--partition", SIMULATE, CLIENT),
            key("partition.alpha", NUMBER, "the Dirichlet concentration").set("--alpha", SIMULATE, CLIENT),
            key("strategy", STRATEGY, "the aggregation strategy and its parameters").set("--strategy", SIMULATE, COORDINATOR),
            key("rounds", INTEGER, "training rounds").set("--rounds", SIMULATE, COORDINATOR),
            key("seed", INTEGER, "the seed of partitioning, initialisation, selection and shuffling")
                    .set("--seed", SIMULATE, COORDINATOR, CLIENT),
            key("selection.clients", INTEGER, "clients of the federation (partitions of the training set)")
                    .set("--clients", SIMULATE, CLIENT),
            key("selection.per_round", INTEGER, "clients selected per round").set("--per-round", SIMULATE, COORDINATOR),
            key("selection.min_clients", INTEGER, "clients connected before a round starts")
                    .set("--min-clients", COORDINATOR),
            key("selection.fraction", NUMBER, "fraction of connected clients selected").set("--fraction", COORDINATOR),
            key("selection.min_accepted", INTEGER, "accepted updates a round needs").set("--min-accepted", COORDINATOR),
            key("selection.over_select", NUMBER, "extra fraction selected against stragglers")
                    .set("--over-select", COORDINATOR),
            key("training.local_epochs", INTEGER, "local epochs per round").set("--local-epochs", SIMULATE, COORDINATOR),
            key("training.batch", INTEGER, "local mini-batch size").set("--batch", SIMULATE, COORDINATOR),
            key("training.lr", NUMBER, "local SGD learning rate").set("--lr", SIMULATE, COORDINATOR),
            key("codecs.update", STRING, "the update codec pipeline").set("--codec", SIMULATE, COORDINATOR),
            key("codecs.downlink", STRING, "the precision of models sent to clients").set("--downlink", SIMULATE, COORDINATOR),
            key("codecs.warmup", LIST, "codecs of the first rounds").set("--codec-warmup", SIMULATE, COORDINATOR),
            key("codecs.downlink_delta", INTEGER, "recent model versions kept for delta downloads")
                    .set("--downlink-delta", SIMULATE, COORDINATOR),
            key("security.tls", BOOLEAN, "mutual TLS, signed models, sealed updates")
                    .set("--tls", SIMULATE).setNegated("--insecure", COORDINATOR, CLIENT),
            key("security.certs", PATH, "the folder made by fedge certs").set("--certs", COORDINATOR, CLIENT),
            key("security.model_key", PATH, "the model-signing public key a client pins (a gateway's behind one)")
                    .set("--model-key", CLIENT),
            key("security.secure_aggregation", BOOLEAN, "secure aggregation")
                    .set("--secure-aggregation", SIMULATE, COORDINATOR),
            key("security.secagg_threshold", NUMBER, "Shamir threshold as a fraction of neighbours")
                    .set("--secagg-threshold", COORDINATOR),
            key("security.secagg_neighbours", INTEGER, "the most neighbours a client masks against")
                    .set("--secagg-neighbours", COORDINATOR),
            key("security.secagg_clip", NUMBER, "the clip of update values before fixed-point encoding")
                    .set("--secagg-clip", COORDINATOR),
            key("robustness.clip", STRING, "the L2 norm bound on each update").set("--clip", COORDINATOR),
            key("robustness.max_examples", INTEGER, "the most examples one client may declare")
                    .set("--max-examples", COORDINATOR),
            key("robustness.max_connections", INTEGER, "the most client connections open at once")
                    .set("--max-connections", COORDINATOR),
            key("robustness.max_gateway_devices", INTEGER, "the most devices one gateway's update may aggregate")
                    .set("--max-gateway-devices", COORDINATOR),
            key("robustness.max_weight_share", NUMBER, "the most of a round's weight one update may have")
                    .set("--max-weight-share", COORDINATOR),
            key("timeouts.round", INTEGER, "seconds clients have to deliver an update")
                    .set("--round-timeout", SIMULATE, COORDINATOR),
            key("timeouts.stall", INTEGER, "seconds an upload may go without a chunk").set("--stall-timeout", SIMULATE),
            key("timeouts.slow_reader", INTEGER, "seconds a connection may stay unwritable")
                    .set("--slow-reader-timeout", SIMULATE),
            key("evaluation.enabled", BOOLEAN, "server-side evaluation on the test set").setNegated("--no-eval", COORDINATOR),
            key("evaluation.on", STRING, "where each new model is evaluated: server, clients or both")
                    .set("--evaluate", SIMULATE, COORDINATOR),
            key("evaluation.test_limit", INTEGER, "test examples evaluated; 0 = all").set("--test-limit", SIMULATE),
            key("attack.kind", STRING, "the attack simulated clients make").set("--attack", SIMULATE),
            key("attack.attackers", INTEGER, "how many clients attack").set("--attackers", SIMULATE),
            key("edge.every", INTEGER, "publish an edge model every N rounds; 0 = never").set("--edge-every", COORDINATOR),
            key("edge.student", STRING, "the edge model's architecture").set("--edge-student", COORDINATOR),
            key("edge.transfer", INTEGER, "training examples the edge model is distilled on")
                    .set("--edge-transfer", COORDINATOR),
            key("edge.port", INTEGER, "the port serving the edge model").set("--edge-port", COORDINATOR),
            key("registry.keep_models", INTEGER, "newest model versions whose files are kept")
                    .set("--keep-models", COORDINATOR),
            key("registry.keep_best", INTEGER, "most accurate versions whose files are kept besides")
                    .set("--keep-best", COORDINATOR),
            key("registry.promote", STRING, "auto or manual promotion of new versions to stable")
                    .set("--promote", COORDINATOR),
            key("registry.promote_margin", NUMBER, "the largest accuracy drop a promotion may bring")
                    .set("--promote-margin", COORDINATOR),
            key("edge.canary", NUMBER, "the fraction of inference devices that try each new edge model first")
                    .set("--canary", COORDINATOR),
            key("edge.canary_alpha", NUMBER, "the canary test's false-alarm rate").set("--canary-alpha", COORDINATOR),
            key("admin.port", INTEGER, "the port of the admin API, metrics and dashboard; 0 = off")
                    .set("--admin-port", COORDINATOR),
            key("outputs.dir", PATH, "the output folder").set("--out", SIMULATE, COORDINATOR),
            key("coordinator.host", STRING, "the address the coordinator listens on").set("--host", COORDINATOR),
            key("coordinator.port", INTEGER, "the port the coordinator listens on").set("--port", COORDINATOR),
            key("coordinator.address", STRING, "host:port clients connect to").set("--coordinator", CLIENT),
            key("client.give_up_after", DURATION, "how long a client waits for an unreachable coordinator")
                    .set("--give-up-after", CLIENT));

    /**
     * The options of each command that a federation file does not set, because they say how to
     * run rather than what the federation is (or, for a client, who it is).
     */
    static final Map<String, List<String>> OPERATIONAL = Map.of(
            SIMULATE, List.of("--parallel", "--engine", "--master", "--engine-option", "--no-progress", "--heap-probe"),
            COORDINATOR, List.of("--heap-probe"),
            CLIENT, List.of("--id", "--index"));

    private FederationKeys() {
    }

    /** The sections and top-level keys, in the table's order. */
    static List<String> sections() {
        List<String> out = new ArrayList<>();
        for (Key k : KEYS) {
            if (!out.contains(k.section())) {
                out.add(k.section());
            }
        }
        return out;
    }

    /** The keys of {@code section}: its entries, or the one top-level key of that name. */
    static List<Key> keysOf(String section) {
        List<Key> out = new ArrayList<>();
        for (Key k : KEYS) {
            if (k.section().equals(section)) {
                out.add(k);
            }
        }
        return out;
    }

    /** The key that sets {@code option} of {@code command}. */
    static Optional<Key> forOption(String command, String option) {
        for (Key k : KEYS) {
            Target t = k.targets().get(command);
            if (t != null && t.option().equals(option)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
