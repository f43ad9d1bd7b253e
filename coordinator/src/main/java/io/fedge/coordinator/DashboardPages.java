package io.fedge.coordinator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The dashboard's files, read from the class path under {@code io/fedge/dashboard/} (the
 * {@code fedge-dashboard} jar, built from the web sources at build time) and cached: {@code /}
 * is {@code index.html}; any other path must be a plain relative name (letters, digits,
 * {@code . _ - /}, no {@code ..}) of a file that exists there. Thread-safe.
 */
final class DashboardPages {
    private static final String ROOT = "io/fedge/dashboard/";
    private static final Pattern SAFE = Pattern.compile("(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "json", "application/json; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon");

    /** One file: its content type and bytes. */
    record Page(String contentType, byte[] body) {
    }

    private final ClassLoader loader;
    /** Files found; names that are not there are not remembered, so requests cannot grow it. */
    private final Map<String, Page> cache = new ConcurrentHashMap<>();

    private DashboardPages(ClassLoader loader) {
        this.loader = loader;
    }

    static DashboardPages fromClassPath() {
        return new DashboardPages(DashboardPages.class.getClassLoader());
    }

    /** The file at {@code path} ({@code /} for the page itself), or empty. */
    Optional<Page> page(String path) {
        String name = path.equals("/") ? "index.html" : path.startsWith("/") ? path.substring(1) : path;
        if (!SAFE.matcher(name).matches() || name.contains("..")) {
            return Optional.empty();
        }
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
        if (type == null) {
            return Optional.empty();
        }
        Page cached = cache.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Page> loaded = load(name, type);
        loaded.ifPresent(p -> cache.put(name, p));
        return loaded;
    }

    private Optional<Page> load(String name, String type) {
        try (InputStream in = loader.getResourceAsStream(ROOT + name)) {
            return in == null ? Optional.empty() : Optional.of(new Page(type, in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboard's " + name, e);
        }
    }
}
