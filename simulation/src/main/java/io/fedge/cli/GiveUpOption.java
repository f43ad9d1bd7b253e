package io.fedge.cli;

import io.fedge.client.FederatedClient;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code --give-up-after} option of the commands that run clients: how long the coordinator
 * may stay unreachable before a client stops ({@link FederatedClient.Builder#giveUpAfter}).
 * A command-line client should not wait forever for a coordinator that is gone; an embedded
 * device, whose library default is never, may.
 */
final class GiveUpOption {
    static final String FORM = "a duration such as 30s, 10m, 2h or 1h30m, or never";

    @Option(names = "--give-up-after", defaultValue = "10m", converter = Converter.class,
            description = "stop when the coordinator has been unreachable this long (30s, 10m, 2h, never); "
                    + "default ${DEFAULT-VALUE}")
    Duration giveUpAfter;

    /** Sets the bound on {@code builder}, unless it is never. */
    FederatedClient.Builder applyTo(FederatedClient.Builder builder) {
        return giveUpAfter.isZero() ? builder : builder.giveUpAfter(giveUpAfter);
    }

    /** Parses {@code 90s}, {@code 10m}, {@code 1h30m}, {@code 500ms}; {@code never} is zero. */
    static final class Converter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (v.equals("never")) {
                return Duration.ZERO;
            }
            Matcher m = PART.matcher(v);
            Duration total = Duration.ZERO;
            int end = 0;
            while (m.find() && m.start() == end) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
                end = m.end();
            }
            if (end == 0 || end != v.length() || total.isZero()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not " + FORM);
            }
            return total;
        }
    }
}
