package io.fedge.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedge.comm.tls.CertificateAuthority;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * One inference device's report since its previous one ({@code POST /edge-telemetry}): which
 * edge model version it ran, how many inferences, their latency (p50, p99, microseconds), mean
 * top-class confidence, how many times each class was predicted, and, of the inferences whose
 * true label the device learned, how many were right. Every field is bounded; a report that
 * crosses a bound is refused whole with the field named.
 */
record EdgeTelemetry(String device, long version, long inferences, double latencyP50Micros, double latencyP99Micros,
                     double meanConfidence, long[] predictions, long labelled, long correct) {
    static final int MAX_BODY_BYTES = 16 * 1024;
    static final long MAX_INFERENCES = 1_000_000;
    static final int MAX_CLASSES = 1_000;
    private static final Set<String> FIELDS = Set.of("device", "version", "inferences", "latencyP50Micros",
            "latencyP99Micros", "meanConfidence", "predictions", "labelled", "correct");

    /** Parses and checks a report. @throws FedgeException (MALFORMED) naming the field */
    static EdgeTelemetry parse(byte[] body) {
        if (body.length > MAX_BODY_BYTES) {
            throw bad("the report is " + body.length + " bytes, more than " + MAX_BODY_BYTES);
        }
        JsonNode n;
        try {
            n = AdminJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw bad("the report is not JSON");
        }
        if (n == null || !n.isObject()) {
            throw bad("the report must be a JSON object");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw bad("unknown field '" + (f.length() > 40 ? f.substring(0, 40) + "..." : f) + "'");
            }
        }
        JsonNode d = n.get("device");
        if (d == null || !d.isTextual() || !CertificateAuthority.CLIENT_ID.matcher(d.asText()).matches()) {
            throw bad("device must be an id of 1 to 64 letters, digits, '.', '_' or '-'");
        }
        long version = whole(n, "version", 0, Long.MAX_VALUE);
        long inferences = whole(n, "inferences", 0, MAX_INFERENCES);
        long labelled = whole(n, "labelled", 0, inferences);
        long correct = whole(n, "correct", 0, labelled);
        double p50 = real(n, "latencyP50Micros", 0, 1e9);
        double p99 = real(n, "latencyP99Micros", p50, 1e9);
        double conf = real(n, "meanConfidence", 0, 1);
        JsonNode p = n.get("predictions");
        if (p == null || !p.isArray() || p.size() > MAX_CLASSES) {
            throw bad("predictions must be an array of at most " + MAX_CLASSES + " counts");
        }
        long[] predictions = new long[p.size()];
        long sum = 0;
        for (int i = 0; i < predictions.length; i++) {
            JsonNode v = p.get(i);
            if (!v.canConvertToExactIntegral() || v.asLong() < 0 || v.asLong() > inferences) {
                throw bad("predictions[" + i + "] must be a count in [0, inferences]");
            }
            predictions[i] = v.asLong();
            sum += predictions[i];
        }
        if (sum > inferences) {
            throw bad("the predictions count " + sum + " inferences, more than the " + inferences + " reported");
        }
        return new EdgeTelemetry(d.asText(), version, inferences, p50, p99, conf, predictions, labelled, correct);
    }

    private static long whole(JsonNode n, String field, long min, long max) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw bad(field + " must be a whole number in [" + min + ", " + max + "]");
        }
        return v.asLong();
    }

    private static double real(JsonNode n, String field, double min, double max) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < min || v.asDouble() > max) {
            throw bad(field + " must be a number in [" + min + ", " + max + "]");
        }
        return v.asDouble();
    }

    private static FedgeException bad(String why) {
        return new FedgeException(ErrorCode.MALFORMED, "telemetry refused: " + why);
    }
}
