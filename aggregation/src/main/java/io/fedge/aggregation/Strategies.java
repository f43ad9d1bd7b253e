package io.fedge.aggregation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds strategies by name: fedge's own and any a user put on the class path (a
 * {@link StrategyFactory} listed in {@code META-INF/services}).
 *
 * <pre>{@code
 * Strategy s = Strategies.create("fedadam:eta=0.01,tau=0.001", FedAvg.builder()
 *         .fractionFit(0.1).minFitClients(10).instructions(new FitInstructions(1, 32, 0.05, "fp32"))
 *         .buildSampling());
 * }</pre>
 */
public final class Strategies {
    private Strategies() {
    }

    /** Every strategy on the class path, by name, in name order. */
    public static Map<String, StrategyFactory> available() {
        List<StrategyFactory> all = new ArrayList<>();
        ServiceLoader.load(StrategyFactory.class, Strategies.class.getClassLoader()).forEach(all::add);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != Strategies.class.getClassLoader()) {
            ServiceLoader.load(StrategyFactory.class, context).forEach(all::add);
        }
        all.sort(Comparator.comparing(StrategyFactory::name));
        Map<String, StrategyFactory> byName = new LinkedHashMap<>();
        for (StrategyFactory f : all) {
            byName.putIfAbsent(f.name().toLowerCase(Locale.ROOT), f);
        }
        return byName;
    }

    /** The factory called {@code name}. */
    public static StrategyFactory factory(String name) {
        Map<String, StrategyFactory> all = available();
        StrategyFactory f = all.get(name.trim().toLowerCase(Locale.ROOT));
        if (f == null) {
            throw new IllegalArgumentException("unknown strategy '" + name.trim() + "', expected one of " + all.keySet());
        }
        return f;
    }

    /**
     * The strategy {@code spec} names, {@code NAME} or {@code NAME:key=value,...}, on top of
     * {@code sampling}.
     *
     * @throws IllegalArgumentException in one line: an unknown name, parameter or value
     */
    public static Strategy create(String spec, Sampling sampling) {
        int colon = spec.indexOf(':');
        String name = colon < 0 ? spec : spec.substring(0, colon);
        StrategyFactory f = factory(name);
        return f.create(sampling, StrategyParameters.parse(f, colon < 0 ? "" : spec.substring(colon + 1)));
    }

    /** The strategies and their parameters, for {@code --help}, in lines of at most 78 characters. */
    public static String help() {
        StringBuilder sb = new StringBuilder();
        for (StrategyFactory f : available().values()) {
            wrap(sb, "  ", f.name() + ": " + f.summary(), "      ");
            for (StrategyFactory.Parameter p : f.parameters()) {
                wrap(sb, "      ", p.name() + "=" + p.defaultValue() + ": " + p.description(), "          ");
            }
        }
        return sb.toString();
    }

    private static void wrap(StringBuilder sb, String first, String text, String rest) {
        String indent = first;
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && indent.length() + line.length() + 1 + word.length() > 78) {
                sb.append(indent).append(line).append('\n');
                line.setLength(0);
                indent = rest;
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        sb.append(indent).append(line).append('\n');
    }
}
