package io.fedge.simulation.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A round's flat evaluation metrics ({@code RoundRecord#evaluationMetrics}) grouped for history.json:
 * <pre>{@code
 * {"macro_f1": 0.84, "classes": {"Trouser": {"precision": .., "recall": .., "f1": .., "support": ..}, ...},
 *  "confusion": [[...], ...], "federated_loss": 0.41,
 *  "federated": {"macro_f1": 0.83, "classes": {...}, "confusion": [[...], ...]}}
 * {"mse": 0.02, "mae": 0.11, "targets": {"price": {"mse": .., "mae": ..}}}
 * }</pre>
 * Classes and targets are named from the run's configuration where it lists them, by index otherwise;
 * the confusion matrix's rows are actual classes, its columns predicted ones. {@code federated} holds the
 * evaluating clients' metrics merged (present when every one of them sent them). Non-finite numbers become null.
 */
final class EvaluationJson {
    private static final String FEDERATED = io.fedge.coordinator.RoundRecord.FEDERATED_METRICS;

    private EvaluationJson() {
    }

    static Map<String, Object> of(Map<String, Double> flat, List<?> classNames, List<?> targetNames) {
        Map<String, Double> own = new java.util.TreeMap<>();
        Map<String, Double> federated = new java.util.TreeMap<>();
        for (Map.Entry<String, Double> e : flat.entrySet()) {
            if (e.getKey().startsWith(FEDERATED)) {
                federated.put(e.getKey().substring(FEDERATED.length()), e.getValue());
            } else {
                own.put(e.getKey(), e.getValue());
            }
        }
        Map<String, Object> out = group(own, classNames, targetNames);
        if (!federated.isEmpty()) {
            out.put("federated", group(federated, classNames, targetNames));
        }
        return out;
    }

    private static Map<String, Object> group(Map<String, Double> flat, List<?> classNames, List<?> targetNames) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<Integer, Map<String, Object>> perClass = new java.util.TreeMap<>();
        Map<Integer, Map<String, Object>> perTarget = new java.util.TreeMap<>();
        Map<Integer, Map<Integer, Double>> confusion = new java.util.TreeMap<>();
        for (Map.Entry<String, Double> e : flat.entrySet()) {
            String[] parts = e.getKey().split("/");
            Double v = Double.isFinite(e.getValue()) ? e.getValue() : null;
            Integer a = parts.length > 1 ? index(parts[1]) : null;
            if (parts.length == 3 && parts[0].equals("confusion") && a != null && index(parts[2]) != null) {
                confusion.computeIfAbsent(a, k -> new java.util.TreeMap<>()).put(index(parts[2]), e.getValue());
            } else if (parts.length == 2 && a != null && List.of("precision", "recall", "f1", "support")
                    .contains(parts[0])) {
                perClass.computeIfAbsent(a, k -> new LinkedHashMap<>()).put(parts[0],
                        parts[0].equals("support") && v != null ? (Object) v.longValue() : v);
            } else if (parts.length == 2 && a != null && (parts[0].equals("mse") || parts[0].equals("mae"))) {
                perTarget.computeIfAbsent(a, k -> new LinkedHashMap<>()).put(parts[0], v);
            } else {
                out.put(e.getKey(), v);
            }
        }
        if (!perClass.isEmpty()) {
            Map<String, Object> named = new LinkedHashMap<>();
            perClass.forEach((c, m) -> named.put(name(classNames, c), m));
            out.put("classes", named);
        }
        if (!confusion.isEmpty()) {
            int n = confusion.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
            List<List<Long>> rows = new ArrayList<>();
            for (int a = 0; a < n; a++) {
                List<Long> row = new ArrayList<>();
                Map<Integer, Double> cells = confusion.getOrDefault(a, Map.of());
                for (int p = 0; p < n; p++) {
                    Double cell = cells.get(p);
                    row.add(cell == null || !Double.isFinite(cell) ? 0L : cell.longValue());
                }
                rows.add(row);
            }
            out.put("confusion", rows);
        }
        if (!perTarget.isEmpty()) {
            Map<String, Object> named = new LinkedHashMap<>();
            perTarget.forEach((t, m) -> named.put(name(targetNames, t), m));
            out.put("targets", named);
        }
        return out;
    }

    private static Integer index(String s) {
        if (s.isEmpty() || s.length() > 9 || !s.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return Integer.valueOf(s);
    }

    private static String name(List<?> names, int i) {
        return names != null && i < names.size() ? String.valueOf(names.get(i)) : Integer.toString(i);
    }
}
