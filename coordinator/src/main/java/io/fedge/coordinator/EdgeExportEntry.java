package io.fedge.coordinator;

import java.util.Objects;

/**
 * An edge model the coordinator exported from a global model version, as the registry keeps it:
 * the student architecture, the signed file's size and SHA-256, and the accuracies measured on
 * the coordinator's test set (int8 edge model, and its fp32 teacher).
 */
public record EdgeExportEntry(long version, String student, long fileBytes, String sha256, double edgeAccuracy,
                              double teacherAccuracy, long createdMillis) {
    public EdgeExportEntry {
        Objects.requireNonNull(student, "student");
        Objects.requireNonNull(sha256, "sha256");
        if (version < 0 || fileBytes < 0) {
            throw new IllegalArgumentException("an edge export needs a version and a size >= 0");
        }
    }
}
