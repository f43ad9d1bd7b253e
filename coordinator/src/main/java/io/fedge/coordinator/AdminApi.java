package io.fedge.coordinator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API's routes, independent of HTTP plumbing: each request (method, path, query, and
 * whether it carried the {@code X-Fedge-Admin} header) maps to one {@link Response}.
 *
 * <pre>
 * GET  /metrics                          Prometheus text
 * GET  /api/status                       the federation's status
 * GET  /api/rounds[?since=N]             rounds after N (all by default)
 * GET  /api/models                       the registry, newest first
 * GET  /api/models/V                     one version
 * POST /api/models/V/promote[?force=true] label V stable (guarded)
 * POST /api/models/V/rollback            train on from V
 * POST /api/models/V/canary              try V's edge model on the canary's share of devices
 * POST /api/compare?a=A&b=B[&clients=N]  federated A/B evaluation of A and B (default 10 clients)
 * GET  /api/comparisons                  the A/B evaluations, oldest first
 * </pre>
 *
 * POSTs without {@code X-Fedge-Admin: 1} are refused (a browser sends a foreign page's form
 * with the administrator's certificate too, but not a custom header). Thread-safe.
 */
final class AdminApi {
    private static final Pattern MODEL = Pattern.compile("/api/models/([0-9]{1,18})");
    private static final Pattern ACTION = Pattern.compile("/api/models/([0-9]{1,18})/(promote|rollback|canary)");
    static final String CSRF_HEADER = "X-Fedge-Admin";

    /** One answer: status code, content type and body. */
    record Response(int status, String contentType, byte[] body) {
        static Response json(int status, JsonNode node) {
            try {
                return new Response(status, "application/json; charset=utf-8",
                        AdminJson.MAPPER.writeValueAsBytes(node));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write JSON", e);
            }
        }

        static Response text(int status, String contentType, String body) {
            return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8));
        }

        static Response error(int status, String message) {
            return json(status, AdminJson.error(message));
        }
    }

    private final Coordinator coordinator;
    private final io.fedge.dashboard.DashboardAssets pages;

    AdminApi(Coordinator coordinator) {
        this.coordinator = coordinator;
        this.pages = io.fedge.dashboard.DashboardAssets.load();
    }

    /** The path of a request URI, or empty when it is not valid (bad percent-encoding). */
    static Optional<io.netty.handler.codec.http.QueryStringDecoder> decode(String uri) {
        try {
            io.netty.handler.codec.http.QueryStringDecoder d = new io.netty.handler.codec.http.QueryStringDecoder(uri);
            d.path();
            d.parameters();
            return Optional.of(d);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Answers a request for the raw {@code uri}: 400 when it cannot be decoded. */
    Response handle(String method, String uri, boolean csrfHeader) {
        Optional<io.netty.handler.codec.http.QueryStringDecoder> d = decode(uri);
        if (d.isEmpty()) {
            return Response.error(400, "malformed request URI");
        }
        return handle(method, d.get().path(), d.get().parameters(), csrfHeader);
    }

    Response handle(String method, String path, Map<String, List<String>> query, boolean csrfHeader) {
        if (method.equals("GET")) {
            return get(path, query);
        }
        if (method.equals("POST") && path.equals("/api/compare")) {
            if (!csrfHeader) {
                return Response.error(403, "POST requests need the header " + CSRF_HEADER + ": 1");
            }
            long a;
            long b;
            int clients;
            try {
                a = Long.parseLong(first(query, "a").orElse(""));
                b = Long.parseLong(first(query, "b").orElse(""));
                clients = Integer.parseInt(first(query, "clients").orElse("10"));
            } catch (NumberFormatException e) {
                return Response.error(400, "compare needs a=VERSION&b=VERSION[&clients=N], whole numbers");
            }
            AdminResult r = coordinator.compare(a, b, clients);
            return Response.json(status(r), AdminJson.result(r));
        }
        if (method.equals("POST")) {
            Matcher m = ACTION.matcher(path);
            if (!m.matches()) {
                return Response.error(path.startsWith("/api/") ? 405 : 404, "no POST " + path);
            }
            if (!csrfHeader) {
                return Response.error(403, "POST requests need the header " + CSRF_HEADER + ": 1");
            }
            long version = Long.parseLong(m.group(1));
            AdminResult r = switch (m.group(2)) {
                case "promote" -> coordinator.promote(version, flag(query, "force"));
                case "rollback" -> coordinator.rollback(version);
                default -> coordinator.canary(version);
            };
            return Response.json(status(r), AdminJson.result(r));
        }
        return Response.error(405, "method " + method + " is not served here");
    }

    private Response get(String path, Map<String, List<String>> query) {
        switch (path) {
            case "/metrics":
                return Response.text(200, "text/plain; version=0.0.4; charset=utf-8", coordinator.metrics().scrape());
            case "/api/status":
                return Response.json(200, AdminJson.status(coordinator));
            case "/api/rounds": {
                long since;
                try {
                    since = Long.parseLong(first(query, "since").orElse("0"));
                } catch (NumberFormatException e) {
                    return Response.error(400, "since must be a round number");
                }
                return Response.json(200, AdminJson.rounds(coordinator.history().rounds().stream()
                        .filter(r -> r.round() > since).toList()));
            }
            case "/api/models":
                return Response.json(200, AdminJson.models(coordinator.models()));
            case "/api/comparisons":
                return Response.json(200, AdminJson.comparisons(coordinator.models().comparisons()));
            default:
                break;
        }
        Matcher m = MODEL.matcher(path);
        if (m.matches()) {
            long version = Long.parseLong(m.group(1));
            ModelRegistry registry = coordinator.models();
            return registry.entry(version)
                    .map(e -> {
                        com.fasterxml.jackson.databind.node.ObjectNode node = AdminJson.model(e,
                                registry.labelsOf(version));
                        AdminJson.edgeExports(node, registry.edgeExportsOf(version));
                        return Response.json(200, node);
                    })
                    .orElseGet(() -> Response.error(404, "no model version " + version + " in the registry"));
        }
        if (!path.startsWith("/api/")) {
            Optional<io.fedge.dashboard.DashboardAsset> page;
            try {
                page = pages.forRequestPath(path);
            } catch (IllegalArgumentException e) {
                return Response.error(400, e.getMessage());
            }
            if (page.isPresent()) {
                return new Response(200, page.get().contentType(), page.get().bytes());
            }
        }
        return Response.error(404, "nothing at " + path);
    }

    private static int status(AdminResult r) {
        return switch (r.status()) {
            case DONE -> 200;
            case ACCEPTED -> 202;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
        };
    }

    private static boolean flag(Map<String, List<String>> query, String name) {
        return first(query, name).map(v -> v.equals("true") || v.equals("1")).orElse(false);
    }

    private static Optional<String> first(Map<String, List<String>> query, String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }
}
