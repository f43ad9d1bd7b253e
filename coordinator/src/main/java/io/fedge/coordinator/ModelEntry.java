package io.fedge.coordinator;

import java.util.Objects;

/**
 * One global model version in the {@link ModelRegistry}: where it came from (its parent version,
 * the round that made it, the strategy and codec of that round, how many clients' updates it
 * holds), when, the SHA-256 of its file, whether that file is still kept under the retention
 * policy, and its evaluations (NaN where none ran).
 *
 * @param version           the model version, 0 for the initial model
 * @param parent            the version it was made from, -1 for the initial model
 * @param round             the round that published it; 0 for the initial model, and for a
 *                          rollback the last round attempted before it
 * @param kind              how it came to be
 * @param strategy          the strategy's name (empty for the initial model)
 * @param codec             the update codec of its round (empty when no round made it)
 * @param contributors      accepted updates folded into it (0 unless {@code kind} is ROUND)
 * @param createdMillis     when it was published (epoch milliseconds)
 * @param sha256            the digest of its model file (lower-case hex), empty when no file was written
 * @param fileKept          whether its model file is still on disk (rollbacks and promotions need it)
 * @param testAccuracy      the server's test-set accuracy
 * @param testLoss          the server's test-set loss
 * @param federatedAccuracy the clients' combined accuracy on their own data
 * @param federatedLoss     the clients' combined loss
 */
public record ModelEntry(long version, long parent, long round, Kind kind, String strategy, String codec,
                         int contributors, long createdMillis, String sha256, boolean fileKept,
                         double testAccuracy, double testLoss, double federatedAccuracy, double federatedLoss) {

    /** How a version came to be. */
    public enum Kind {
        /** The model the federation started from. */
        INITIAL,
        /** The aggregate of a round's accepted updates. */
        ROUND,
        /** A copy of an earlier version's parameters under a new version number, after a rollback to it. */
        ROLLBACK;

        /** The lower-case name used in the state database, the admin API and the CLI. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The kind named {@code label}, as {@link #label()} writes it. */
        public static Kind of(String label) {
            for (Kind k : values()) {
                if (k.label().equals(label)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown model kind '" + label + "'");
        }
    }

    public ModelEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(sha256, "sha256");
        if (version < 0) {
            throw new IllegalArgumentException("model version must be >= 0: " + version);
        }
        if (kind == Kind.INITIAL ? parent != -1 : parent < 0 || parent >= version) {
            throw new IllegalArgumentException("model version " + version + " (" + kind.label()
                    + ") cannot have parent " + parent);
        }
        if (contributors < 0) {
            throw new IllegalArgumentException("contributors must be >= 0: " + contributors);
        }
    }

    /**
     * The accuracy promotion decisions compare: the server's test accuracy, else the clients'
     * federated accuracy, else NaN.
     */
    public double decisiveAccuracy() {
        return !Double.isNaN(testAccuracy) ? testAccuracy : federatedAccuracy;
    }

    /** This entry with {@code digest} as its file's SHA-256. */
    ModelEntry withSha256(String digest) {
        return new ModelEntry(version, parent, round, kind, strategy, codec, contributors, createdMillis, digest,
                fileKept, testAccuracy, testLoss, federatedAccuracy, federatedLoss);
    }

    /**
     * A version whose file the store holds but whose registry row it lacks (state written before
     * the registry existed): lineage assumed linear, nothing else known.
     */
    static ModelEntry unrecorded(long version, long round, String sha256) {
        return new ModelEntry(version, version == 0 ? -1 : version - 1, round, version == 0 ? Kind.INITIAL : Kind.ROUND,
                "", "", 0, 0, sha256, true, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /** This entry with its file marked as deleted by the retention policy. */
    ModelEntry withoutFile() {
        return new ModelEntry(version, parent, round, kind, strategy, codec, contributors, createdMillis, sha256,
                false, testAccuracy, testLoss, federatedAccuracy, federatedLoss);
    }
}
