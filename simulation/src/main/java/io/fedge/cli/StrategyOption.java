package io.fedge.cli;

import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategies;
import io.fedge.aggregation.Strategy;
import io.fedge.compression.CodecRegistry;
import picocli.CommandLine.Option;

import java.util.Optional;

/**
 * The {@code --strategy NAME[:key=value,...]} option {@code fedge simulate} and
 * {@code fedge coordinator} share; the strategies and their parameters are listed in the
 * commands' help ({@link Strategies#help}).
 */
final class StrategyOption {
    @Option(names = "--strategy", paramLabel = "NAME[:key=value,...]",
            description = "aggregation strategy and its parameters, e.g. fedadam:eta=0.01 or krum:f=2 "
                    + "(listed below); default ${DEFAULT-VALUE}")
    String strategy = "fedavg";

    /** The strategy on top of {@code sampling}. */
    Strategy create(Sampling sampling) {
        return Strategies.create(strategy, sampling);
    }

    /**
     * Checks the name, the parameters, and that the strategy can work with the codec and with
     * secure aggregation as asked.
     *
     * @throws IllegalArgumentException in one line
     */
    void validate(String codec, boolean secureAggregation) {
        Strategy s = create(Sampling.builder().instructions(new FitInstructions(1, 1, 0.1, codec)).buildSampling());
        CodecRegistry codecs = CodecRegistry.defaultRegistry();
        Optional<String> why = s.incompatibility(secureAggregation, codecs::isLossy);
        if (why.isPresent()) {
            throw new IllegalArgumentException("--strategy " + strategy + ": " + why.get());
        }
    }

    /** A suffix for the command's banner: empty for the default. */
    String describe() {
        return strategy.equals("fedavg") ? "" : ", strategy " + strategy;
    }
}
