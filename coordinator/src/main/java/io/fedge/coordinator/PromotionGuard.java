package io.fedge.coordinator;

import java.util.Locale;
import java.util.Optional;

/**
 * Refuses to promote a model version whose evaluation regresses against the version it would
 * replace by more than {@code margin} (absolute accuracy). A candidate without an evaluation is
 * refused when the current version has one (nothing shows it is not worse); with neither
 * evaluated, there is nothing to compare and it passes.
 *
 * @param margin the largest accuracy drop allowed, in [0, 1]
 */
public record PromotionGuard(double margin) {
    /** Two points of accuracy. */
    public static final PromotionGuard DEFAULT = new PromotionGuard(0.02);

    public PromotionGuard {
        if (!(margin >= 0 && margin <= 1)) {
            throw new IllegalArgumentException("the promotion margin must be in [0, 1], not " + margin);
        }
    }

    /**
     * Why {@code candidate} must not replace {@code current} (one line), or empty when it may;
     * always empty when there is no current version.
     */
    public Optional<String> refuse(ModelEntry candidate, ModelEntry current) {
        if (current == null || current.version() == candidate.version()) {
            return Optional.empty();
        }
        double now = current.decisiveAccuracy();
        double next = candidate.decisiveAccuracy();
        if (Double.isNaN(now)) {
            return Optional.empty();
        }
        if (Double.isNaN(next)) {
            return Optional.of("version " + candidate.version() + " has no evaluation, and version "
                    + current.version() + " has accuracy " + fmt(now));
        }
        double drop = now - next;
        if (drop > margin + 1e-12) {
            return Optional.of(String.format(Locale.ROOT, "its accuracy %.4f is %.4f below version %d's %.4f "
                    + "(the guard allows %.4f)", next, drop, current.version(), now, margin));
        }
        return Optional.empty();
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.4f", d);
    }
}
