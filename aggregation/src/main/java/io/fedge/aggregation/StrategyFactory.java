package io.fedge.aggregation;

import java.util.List;

/**
 * Makes a {@link Strategy} by name, with its parameters, on top of a {@link Sampling}: how
 * {@code --strategy NAME:key=value,...} finds a strategy. fedge's own are listed in
 * {@code META-INF/services/io.fedge.aggregation.StrategyFactory}; a strategy a user writes plugs in
 * the same way, from a jar on the class path with such a file (found by {@link java.util.ServiceLoader}).
 */
public interface StrategyFactory {
    /** The name users give, lower case, such as {@code fedadam}. */
    String name();

    /** One line for {@code --help}. */
    String summary();

    /** The parameters it takes, with their defaults. */
    List<Parameter> parameters();

    /**
     * The strategy, on top of {@code sampling} (which it may extend, such as with local training).
     *
     * @throws IllegalArgumentException naming the parameter when a value is out of range
     */
    Strategy create(Sampling sampling, StrategyParameters parameters);

    /**
     * One parameter of a strategy.
     *
     * @param name its key
     * @param defaultValue its value when not given
     * @param description what it means, with its range
     */
    record Parameter(String name, String defaultValue, String description) {
    }
}
