package io.fedge.simulation;

import java.util.List;
import java.util.Locale;

/**
 * Where each new global model is evaluated: on the coordinator's test set ({@link #SERVER},
 * {@code ServerEvaluator}), on the clients' own data ({@link #CLIENTS}, federated evaluation: each
 * connected client evaluates and the coordinator records the example-weighted mean), or both.
 */
public enum EvaluateOn {
    /** The coordinator's test set only. */
    SERVER,
    /** The clients' local data only; the coordinator needs no test set. */
    CLIENTS,
    /** Both. */
    BOTH;

    /** The names {@link #byName} accepts. */
    public static final List<String> NAMES = List.of("server", "clients", "both");

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the coordinator evaluates on a test set. */
    public boolean server() {
        return this != CLIENTS;
    }

    /** Whether the clients evaluate. */
    public boolean clients() {
        return this != SERVER;
    }

    /**
     * The value called {@code name} (any case).
     *
     * @throws IllegalArgumentException naming the allowed values otherwise
     */
    public static EvaluateOn byName(String name) {
        for (EvaluateOn e : values()) {
            if (e.label().equalsIgnoreCase(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("--evaluate must be one of " + String.join(", ", NAMES) + ", not '"
                + name + "'");
    }
}
