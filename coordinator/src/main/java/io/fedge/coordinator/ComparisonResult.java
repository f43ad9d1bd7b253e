package io.fedge.coordinator;

import java.util.Objects;

/**
 * A finished federated A/B evaluation, as the registry keeps it: the two versions, the round it
 * ran after, how many clients were asked, each version's mean accuracy over the clients that
 * evaluated both, and the paired comparison.
 */
public record ComparisonResult(long id, long versionA, long versionB, long afterRound, int asked, double accuracyA,
                               double accuracyB, PairedComparison comparison, long createdMillis) {
    public ComparisonResult {
        Objects.requireNonNull(comparison, "comparison");
    }

    /** One line for logs and the CLI. */
    public String describe() {
        return comparison.describe(versionA, versionB) + " (" + comparison.pairs() + " of " + asked + " clients asked)";
    }
}
