package io.fedge.coordinator;

import io.fedge.core.ErrorCode;

import java.util.Locale;

/**
 * A small, fixed set of names for why a client did not count in a round, cut from the free-text
 * reason, so metrics can be labelled by it without one label value per message: the error code a
 * refusal names ({@code ErrorCode: ...}), else {@code disconnected}, {@code deadline},
 * {@code not_needed} (an over-selected round closed before it), {@code evaluation}, or
 * {@code other}.
 */
final class FailureCategory {
    private FailureCategory() {
    }

    static String of(String reason) {
        if (reason == null || reason.isEmpty()) {
            return "other";
        }
        int colon = reason.indexOf(':');
        if (colon > 0) {
            String head = reason.substring(0, colon);
            for (ErrorCode c : ErrorCode.values()) {
                if (c.name().equals(head)) {
                    return c.name().toLowerCase(Locale.ROOT);
                }
            }
        }
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.startsWith("not needed")) {
            return "not_needed";
        }
        if (r.contains("disconnect")) {
            return "disconnected";
        }
        if (r.contains("deadline")) {
            return "deadline";
        }
        if (r.contains("evaluat")) {
            return "evaluation";
        }
        return "other";
    }
}
