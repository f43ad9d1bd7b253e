package io.fedge.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedge.aggregation.Failure;

import java.util.List;
import java.util.Map;

/**
 * The JSON the admin API answers and the dashboard reads (documented in {@code docs/dashboard.md}):
 * the federation's status, its rounds and its model registry. NaN numbers are written as
 * {@code null}. Thread-safe.
 */
final class AdminJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private AdminJson() {
    }

    static ObjectNode status(Coordinator c) {
        ObjectNode n = MAPPER.createObjectNode();
        ModelRegistry models = c.models();
        Map<String, Long> labels = models.labels();
        n.put("modelVersion", c.globalModel().version());
        putVersion(n, "stable", labels.get(ModelRegistry.STABLE));
        putVersion(n, "canary", labels.get(ModelRegistry.CANARY));
        java.util.Optional<EdgeReleases> edge = c.edgeReleases();
        n.put("canaryState", edge.map(EdgeReleases::canaryState).orElse("none"));
        edge.ifPresent(e -> n.set("canaryEvidence", canary(e)));
        n.put("completedRounds", c.completedRounds());
        n.put("rounds", c.configuredRounds());
        n.put("lastRound", c.history().last().map(RoundRecord::round).orElse(0L));
        n.put("connectedClients", c.connectedClients());
        String failure = c.failure().orElse(null);
        n.put("state", failure != null ? "failed" : c.finished() ? "finished" : "running");
        if (failure == null) {
            n.putNull("failure");
        } else {
            n.put("failure", failure);
        }
        return n;
    }

    /** The edge releases: the versions served, the running canary's evidence and the last verdict. */
    static ObjectNode canary(EdgeReleases e) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("stableVersion", e.stableVersion());
        n.put("canaryVersion", e.canaryVersion());
        e.analysis().ifPresent(a -> {
            n.set("stable", arm(a.stable()));
            n.set("canary", arm(a.canary()));
            a.lastLook().ifPresent(d -> n.set("lastLook", decision(d)));
        });
        e.lastDecision().ifPresent(d -> n.set("lastVerdict", decision(d)));
        return n;
    }

    private static ObjectNode arm(CanaryAnalysis.Arm a) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("inferences", a.inferences);
        n.put("labelled", a.labelled);
        real(n, "accuracy", a.accuracy());
        real(n, "latencyP50Micros", a.meanLatencyP50());
        real(n, "latencyP99Micros", a.latencyP99Max);
        real(n, "meanConfidence", a.meanConfidence());
        ArrayNode p = n.putArray("predictions");
        for (long v : a.predictions) {
            p.add(v);
        }
        return n;
    }

    private static ObjectNode decision(CanaryTest.Decision d) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("verdict", d.verdict().name().toLowerCase(java.util.Locale.ROOT));
        n.put("look", d.look());
        real(n, "difference", d.difference());
        real(n, "low", d.low());
        real(n, "high", d.high());
        real(n, "z", d.z());
        n.put("reason", d.reason());
        return n;
    }

    static ObjectNode rounds(List<RoundRecord> records) {
        ObjectNode n = MAPPER.createObjectNode();
        ArrayNode a = n.putArray("rounds");
        for (RoundRecord r : records) {
            a.add(round(r));
        }
        return n;
    }

    static ObjectNode round(RoundRecord r) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("round", r.round());
        n.put("succeeded", r.succeeded());
        n.put("modelVersion", r.modelVersion());
        n.put("selected", r.selected());
        n.put("clients", r.clients());
        n.put("failures", r.failures());
        real(n, "testAccuracy", r.testAccuracy());
        real(n, "testLoss", r.testLoss());
        real(n, "trainLoss", r.trainLoss());
        real(n, "federatedAccuracy", r.federatedAccuracy());
        real(n, "roundSeconds", r.roundSeconds());
        n.put("bytesUp", r.bytesUp());
        n.put("bytesDown", r.bytesDown());
        if (r.outcome() == null || r.outcome().isEmpty()) {
            n.putNull("outcome");
        } else {
            n.put("outcome", r.outcome());
        }
        ArrayNode failed = n.putArray("notCounted");
        for (Failure f : r.notCounted()) {
            failed.addObject().put("client", f.clientId()).put("reason", f.reason());
        }
        return n;
    }

    static ObjectNode models(ModelRegistry registry) {
        ObjectNode n = MAPPER.createObjectNode();
        ArrayNode a = n.putArray("models");
        List<ModelEntry> entries = registry.entries();
        for (int i = entries.size() - 1; i >= 0; i--) {
            ObjectNode m = model(entries.get(i), registry.labelsOf(entries.get(i).version()));
            edgeExports(m, registry.edgeExportsOf(entries.get(i).version()));
            a.add(m);
        }
        return n;
    }

    static ObjectNode model(ModelEntry e, List<String> labels) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("version", e.version());
        putVersion(n, "parent", e.parent() < 0 ? null : e.parent());
        n.put("round", e.round());
        n.put("kind", e.kind().label());
        n.put("strategy", e.strategy());
        n.put("codec", e.codec());
        n.put("contributors", e.contributors());
        n.put("createdMillis", e.createdMillis());
        n.put("sha256", e.sha256());
        real(n, "testAccuracy", e.testAccuracy());
        real(n, "testLoss", e.testLoss());
        real(n, "federatedAccuracy", e.federatedAccuracy());
        real(n, "federatedLoss", e.federatedLoss());
        ArrayNode l = n.putArray("labels");
        labels.forEach(l::add);
        n.put("fileKept", e.fileKept());
        return n;
    }

    static ObjectNode comparisons(List<ComparisonResult> all) {
        ObjectNode n = MAPPER.createObjectNode();
        ArrayNode a = n.putArray("comparisons");
        for (ComparisonResult c : all) {
            ObjectNode o = a.addObject();
            o.put("id", c.id());
            o.put("versionA", c.versionA());
            o.put("versionB", c.versionB());
            o.put("afterRound", c.afterRound());
            o.put("asked", c.asked());
            o.put("pairs", c.comparison().pairs());
            real(o, "accuracyA", c.accuracyA());
            real(o, "accuracyB", c.accuracyB());
            real(o, "meanDifference", c.comparison().meanDifference());
            real(o, "low", c.comparison().low());
            real(o, "high", c.comparison().high());
            o.put("confidence", c.comparison().confidence());
            o.put("verdict", c.comparison().verdict().name().toLowerCase(java.util.Locale.ROOT));
            o.put("createdMillis", c.createdMillis());
            o.put("summary", c.describe());
        }
        return n;
    }

    static void edgeExports(ObjectNode model, List<EdgeExportEntry> exports) {
        ArrayNode a = model.putArray("edgeExports");
        for (EdgeExportEntry e : exports) {
            ObjectNode o = a.addObject();
            o.put("student", e.student());
            o.put("fileBytes", e.fileBytes());
            o.put("sha256", e.sha256());
            real(o, "edgeAccuracy", e.edgeAccuracy());
            real(o, "teacherAccuracy", e.teacherAccuracy());
            o.put("createdMillis", e.createdMillis());
        }
    }

    static ObjectNode result(AdminResult r) {
        return MAPPER.createObjectNode().put("ok", r.ok()).put("message", r.message());
    }

    static ObjectNode error(String message) {
        return MAPPER.createObjectNode().put("ok", false).put("message", message);
    }

    private static void putVersion(ObjectNode n, String key, Long v) {
        if (v == null) {
            n.putNull(key);
        } else {
            n.put(key, v);
        }
    }

    private static void real(ObjectNode n, String key, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            n.putNull(key);
        } else {
            n.put(key, d);
        }
    }
}
