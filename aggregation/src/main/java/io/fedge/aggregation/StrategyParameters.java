package io.fedge.aggregation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The parameters given to a strategy as {@code key=value,key=value}, checked against what the
 * strategy takes: an unknown key or a malformed value is an {@link IllegalArgumentException}
 * whose message names it and lists what is allowed.
 */
public final class StrategyParameters {
    private final String strategy;
    private final Map<String, String> values;
    private final Map<String, StrategyFactory.Parameter> allowed = new LinkedHashMap<>();

    private StrategyParameters(String strategy, Map<String, String> values, List<StrategyFactory.Parameter> allowed) {
        this.strategy = strategy;
        this.values = values;
        for (StrategyFactory.Parameter p : allowed) {
            this.allowed.put(p.name(), p);
        }
    }

    /** Parses {@code spec} (may be empty) for {@code factory}. */
    public static StrategyParameters parse(StrategyFactory factory, String spec) {
        Map<String, String> values = new LinkedHashMap<>();
        List<StrategyFactory.Parameter> allowed = factory.parameters();
        if (!spec.isBlank()) {
            for (String part : spec.split(",", -1)) {
                int eq = part.indexOf('=');
                if (eq <= 0 || eq == part.length() - 1) {
                    throw new IllegalArgumentException("strategy " + factory.name() + ": expected key=value, got '"
                            + part + "'" + takes(factory.name(), allowed));
                }
                String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT).replace('-', '_');
                if (allowed.stream().noneMatch(p -> p.name().equals(key))) {
                    throw new IllegalArgumentException("strategy " + factory.name() + " has no parameter '" + key + "'"
                            + takes(factory.name(), allowed));
                }
                if (values.put(key, part.substring(eq + 1).trim()) != null) {
                    throw new IllegalArgumentException("strategy " + factory.name() + ": parameter '" + key
                            + "' given twice");
                }
            }
        }
        return new StrategyParameters(factory.name(), values, allowed);
    }

    private static String takes(String name, List<StrategyFactory.Parameter> allowed) {
        return allowed.isEmpty() ? "; it takes none"
                : "; it takes " + String.join(", ", allowed.stream().map(StrategyFactory.Parameter::name).toList());
    }

    /** The strategy's name, for messages. */
    public String strategy() {
        return strategy;
    }

    /** Whether the user gave {@code key}. */
    public boolean given(String key) {
        return values.containsKey(key);
    }

    /** The value of {@code key} as text (its default when not given). */
    public String text(String key) {
        StrategyFactory.Parameter p = allowed.get(key);
        if (p == null) {
            throw new IllegalStateException("strategy " + strategy + " reads undeclared parameter " + key);
        }
        return values.getOrDefault(key, p.defaultValue());
    }

    /** The value of {@code key} as a finite number. */
    public double number(String key) {
        String t = text(key);
        try {
            double d = Double.parseDouble(t);
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("strategy " + strategy + ": " + key + " must be a number, got '" + t + "'");
    }

    /** The value of {@code key} as a number in {@code [low, high]}. */
    public double number(String key, double low, double high) {
        double d = number(key);
        if (!(d >= low && d <= high)) {
            throw new IllegalArgumentException("strategy " + strategy + ": " + key + " must be in [" + low + ", " + high
                    + "], got " + text(key));
        }
        return d;
    }

    /** The value of {@code key} as an integer in {@code [low, high]}. */
    public int integer(String key, int low, int high) {
        String t = text(key);
        try {
            int v = Integer.parseInt(t);
            if (v >= low && v <= high) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("strategy " + strategy + ": " + key + " must be an integer in [" + low + ", "
                + high + "], got '" + t + "'");
    }

    /** The value of {@code key} as a boolean ({@code true}/{@code false}). */
    public boolean flag(String key) {
        String t = text(key).toLowerCase(Locale.ROOT);
        return switch (t) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("strategy " + strategy + ": " + key
                    + " must be true or false, got '" + t + "'");
        };
    }

    /** The value of {@code key}, one of {@code choices}. */
    public String choice(String key, List<String> choices) {
        String t = text(key).toLowerCase(Locale.ROOT);
        if (!choices.contains(t)) {
            throw new IllegalArgumentException("strategy " + strategy + ": " + key + " must be one of " + choices
                    + ", got '" + t + "'");
        }
        return t;
    }
}
