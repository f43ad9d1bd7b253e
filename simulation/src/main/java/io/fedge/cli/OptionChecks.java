package io.fedge.cli;

import io.fedge.compression.CodecRegistry;
import io.fedge.core.FedgeException;

import java.util.List;

/**
 * Range checks for the CLI's numeric and named options, shared by every command; each failure
 * is an {@link IllegalArgumentException} naming the option, the value and what is allowed, which
 * the CLI reports as a usage error. A command implements {@link Validated} and {@link Fedge}
 * checks it before running it.
 */
final class OptionChecks {
    /** A command whose options are checked before it runs. */
    interface Validated {
        /** @throws IllegalArgumentException naming the first option out of range */
        void validate();
    }

    static final String CODEC_FORM = "[topk:F+](fp32|fp16|int8|int4|sign)[+zstd] with F in (0,1], e.g. int8 or "
            + "topk:0.01+int8+zstd";

    private OptionChecks() {
    }

    static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " must be >= " + min + ", not " + value);
        }
    }

    static void between(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + "], not " + value);
        }
    }

    static void positive(String option, double value) {
        if (!Double.isFinite(value) || value <= 0) {
            throw new IllegalArgumentException(option + " must be finite and > 0, not " + value);
        }
    }

    /** A fraction in (0, 1]. */
    static void fraction(String option, double value) {
        if (!(value > 0 && value <= 1)) {
            throw new IllegalArgumentException(option + " must be in (0, 1], not " + value);
        }
    }

    /** A finite value in [min, max) or, with {@code maxIncluded}, [min, max]. */
    static void range(String option, double value, double min, double max, boolean maxIncluded) {
        if (!(value >= min && (maxIncluded ? value <= max : value < max))) {
            throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + (maxIncluded ? "]" : ")")
                    + ", not " + value);
        }
    }

    static void oneOf(String option, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            throw new IllegalArgumentException(option + " must be one of " + String.join(", ", allowed) + ", not '"
                    + value + "'");
        }
    }

    /** An attack of {@code fedge simulate}, parsed. */
    static io.fedge.simulation.attack.Attack attack(String option, String spec) {
        try {
            return io.fedge.simulation.attack.Attack.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + e.getMessage());
        }
    }

    /** A codec pipeline this build can encode. */
    static void codec(String option, String name) {
        try {
            CodecRegistry.defaultRegistry().get(name);
        } catch (FedgeException | IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " '" + name + "' is not a codec: " + CODEC_FORM);
        }
    }
}
