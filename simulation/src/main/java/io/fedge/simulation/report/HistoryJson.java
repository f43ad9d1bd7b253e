package io.fedge.simulation.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fedge.coordinator.RoundRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code {"config": {...}, "rounds": [...]}} with snake_case round fields. JSON has no
 * NaN or infinity, so non-finite doubles, in the rounds and in the config alike, become
 * {@code null}.
 */
final class HistoryJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new SimpleModule("fedge-finite-doubles")
                    .addSerializer(Double.class, new FiniteDoubleSerializer())
                    .addSerializer(double.class, new FiniteDoubleSerializer()));

    private HistoryJson() {
    }

    static void write(Path file, Map<String, Object> config, List<RoundRecord> rounds) throws IOException {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("config", config);
        List<?> classes = config.get("classes") instanceof List<?> l ? l : null;
        List<?> targets = config.get("targets") instanceof List<?> l ? l : null;
        document.put("rounds", rounds.stream().map(r -> fields(r, classes, targets)).toList());
        MAPPER.writeValue(file.toFile(), document);
    }

    static Map<String, Object> fields(RoundRecord r) {
        return fields(r, null, null);
    }

    /** A round's fields, its evaluation metrics named after {@code classNames} or {@code targetNames}. */
    static Map<String, Object> fields(RoundRecord r, List<?> classNames, List<?> targetNames) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("round", r.round());
        m.put("succeeded", r.succeeded());
        m.put("model_version", r.modelVersion());
        m.put("selected", r.selected());
        m.put("clients", r.clients());
        m.put("failures", r.failures());
        m.put("test_accuracy", r.testAccuracy());
        m.put("test_loss", r.testLoss());
        m.put("train_loss", r.trainLoss());
        m.put("federated_accuracy", r.federatedAccuracy());
        m.put("round_seconds", r.roundSeconds());
        m.put("eval_seconds", r.evalSeconds());
        m.put("bytes_up", r.bytesUp());
        m.put("bytes_down", r.bytesDown());
        m.put("secagg_client_seconds", r.secAggClientSeconds());
        m.put("secagg_coordinator_seconds", r.secAggCoordinatorSeconds());
        m.put("outcome", r.outcome());
        if (!r.strategyMetrics().isEmpty()) {
            Map<String, Object> sm = new LinkedHashMap<>();
            r.strategyMetrics().forEach((k, v) -> sm.put(k, Double.isFinite(v) ? v : null));
            m.put("strategy", sm);
        }
        if (!r.evaluationMetrics().isEmpty()) {
            m.put("evaluation", EvaluationJson.of(r.evaluationMetrics(), classNames, targetNames));
        }
        m.put("not_counted", r.notCounted().stream()
                .map(f -> Map.of("client_id", f.clientId(), "reason", f.reason())).toList());
        return m;
    }

    private static final class FiniteDoubleSerializer extends JsonSerializer<Double> {
        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            if (Double.isFinite(value)) {
                gen.writeNumber(value);
            } else {
                gen.writeNull();
            }
        }
    }
}
