package io.fedge.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The dashboard's files, read once from the class path: the page and uPlot under
 * {@link #RESOURCE_ROOT}, listed by the build in {@link #MANIFEST}. Only listed files are ever
 * served: the compiled classes that share the package folder, the manifest itself and anything
 * else on the class path are unknown paths.
 *
 * <p>Usage, in an HTTP handler that has decoded the request's path and dropped its query:
 * <pre>{@code
 * DashboardAssets assets = DashboardAssets.load();          // once, at start
 * Optional<DashboardAsset> asset = assets.forRequestPath("/app.js");
 * // present: 200 with asset.contentType(), asset.etag(), asset.buffer(); empty: 404
 * }</pre>
 *
 * <p>Immutable after {@link #load()}; safe for use by any number of threads.
 */
public final class DashboardAssets {
    /** The class-path folder the build writes the page into. */
    public static final String RESOURCE_ROOT = "io/fedge/dashboard/";
    /** The build's list of the files it wrote, one path a line; not itself an asset. */
    public static final String MANIFEST = "assets.txt";
    /** The page served for {@code /}. */
    public static final String INDEX = "index.html";
    /** The longest asset path accepted, in characters. */
    public static final int MAX_PATH_LENGTH = 128;
    /** The most files a manifest may list. */
    static final int MAX_ASSETS = 256;
    /** The largest file loaded, in bytes (uPlot's module, the largest, is about 145 kB). */
    static final int MAX_ASSET_BYTES = 4 * 1024 * 1024;

    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "txt", "text/plain; charset=utf-8");

    private final Map<String, DashboardAsset> assets;

    private DashboardAssets(Map<String, DashboardAsset> assets) {
        this.assets = Collections.unmodifiableMap(assets);
    }

    /**
     * Reads the dashboard built into this jar.
     *
     * @return every file the manifest lists, loaded
     * @throws IllegalStateException if the manifest is missing (the build did not run the web build),
     *     names a path that {@link #find} would refuse or a file of an unknown type, lists a file that
     *     is absent or too large, or lists no {@link #INDEX}
     * @throws UncheckedIOException if a listed file cannot be read
     */
    public static DashboardAssets load() {
        return load(DashboardAssets.class.getClassLoader(), RESOURCE_ROOT, MAX_ASSET_BYTES);
    }

    /** {@link #load()} from another class loader and root, with another file size bound (tests). */
    static DashboardAssets load(ClassLoader loader, String root, int maxAssetBytes) {
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(root, "root");
        byte[] manifest = read(loader, root + MANIFEST, MAX_PATH_LENGTH * (MAX_ASSETS + 1L));
        if (manifest == null) {
            throw new IllegalStateException("no " + root + MANIFEST + " on the class path: the dashboard was not built"
                    + " (the fedge-dashboard module's build runs 'npm ci' and 'npm run build' in src/main/web)");
        }
        Map<String, DashboardAsset> loaded = new TreeMap<>();
        String[] lines = new String(manifest, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            String where = root + MANIFEST + " line " + (i + 1);
            String bad = whyRefused(line);
            if (bad != null) {
                throw new IllegalStateException(where + ": " + bad);
            }
            String type = contentType(line);
            if (type == null) {
                throw new IllegalStateException(where + ": '" + line + "' is not of a type the dashboard serves (expected "
                        + String.join(", ", new TreeSet<>(CONTENT_TYPES.keySet())) + ")");
            }
            if (loaded.size() >= MAX_ASSETS) {
                throw new IllegalStateException(where + ": more than " + MAX_ASSETS + " files listed");
            }
            if (loaded.containsKey(line)) {
                throw new IllegalStateException(where + ": '" + line + "' listed twice");
            }
            byte[] bytes = read(loader, root + line, maxAssetBytes);
            if (bytes == null) {
                throw new IllegalStateException(where + ": '" + line + "' is listed but not on the class path");
            }
            loaded.put(line, new DashboardAsset(line, type, bytes, etag(bytes)));
        }
        if (!loaded.containsKey(INDEX)) {
            throw new IllegalStateException(root + MANIFEST + " lists no " + INDEX);
        }
        return new DashboardAssets(loaded);
    }

    /** Every asset's path, sorted. */
    public SortedSet<String> paths() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(assets.keySet()));
    }

    /**
     * The asset at a path relative to {@link #RESOURCE_ROOT}, such as {@code app.js}.
     *
     * @param path the path, without a leading slash
     * @return the asset, or empty when no listed file has that path
     * @throws NullPointerException if path is null
     * @throws IllegalArgumentException if the path is empty, longer than {@link #MAX_PATH_LENGTH},
     *     absolute (a leading {@code /}, a drive letter), or holds {@code ..}, {@code .} or empty
     *     segments, backslashes or control characters
     */
    public Optional<DashboardAsset> find(String path) {
        Objects.requireNonNull(path, "path");
        String bad = whyRefused(path);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        return Optional.ofNullable(assets.get(path));
    }

    /**
     * The asset for a decoded HTTP request path without its query: {@code /} is {@link #INDEX},
     * {@code /app.js} is {@code app.js}.
     *
     * @param requestPath the path, starting with {@code /}
     * @return the asset, or empty when no listed file has that path
     * @throws NullPointerException if requestPath is null
     * @throws IllegalArgumentException if it does not start with {@code /}, holds a query or
     *     fragment, or its rest is refused by {@link #find}
     */
    public Optional<DashboardAsset> forRequestPath(String requestPath) {
        Objects.requireNonNull(requestPath, "requestPath");
        if (!requestPath.startsWith("/")) {
            throw new IllegalArgumentException("dashboard request path must start with '/': '" + printable(requestPath) + "'");
        }
        if (requestPath.indexOf('?') >= 0 || requestPath.indexOf('#') >= 0) {
            throw new IllegalArgumentException("dashboard request path must not hold a query or fragment (decode and drop it first): '"
                    + printable(requestPath) + "'");
        }
        return find(requestPath.equals("/") ? INDEX : requestPath.substring(1));
    }

    /**
     * The {@code Content-Type} for a file name by its extension, or null for a type the dashboard
     * does not serve.
     */
    public static String contentType(String path) {
        Objects.requireNonNull(path, "path");
        int dot = path.lastIndexOf('.');
        return dot < 0 ? null : CONTENT_TYPES.get(path.substring(dot + 1));
    }

    /** Why a relative asset path is refused, or null when it is well formed. */
    private static String whyRefused(String path) {
        if (path.isEmpty()) {
            return "dashboard asset path must not be empty";
        }
        if (path.length() > MAX_PATH_LENGTH) {
            return "dashboard asset path must be at most " + MAX_PATH_LENGTH + " characters: " + path.length()
                    + " ('" + printable(path.substring(0, 40)) + "...')";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "dashboard asset path must not hold control characters: '" + printable(path) + "'";
            }
        }
        if (path.indexOf('\\') >= 0) {
            return "dashboard asset path must not hold backslashes: '" + printable(path) + "'";
        }
        if (path.startsWith("/") || (path.length() >= 2 && path.charAt(1) == ':')) {
            return "dashboard asset path must be relative: '" + printable(path) + "'";
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals("..")) {
                return "dashboard asset path must not hold '..': '" + printable(path) + "'";
            }
            if (segment.isEmpty() || segment.equals(".")) {
                return "dashboard asset path must not hold empty or '.' segments: '" + printable(path) + "'";
            }
        }
        return null;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The resource's bytes, or null if absent; refuses one larger than max. */
    private static byte[] read(ClassLoader loader, String name, long max) {
        try (InputStream in = loader.getResourceAsStream(name)) {
            if (in == null) {
                return null;
            }
            byte[] bytes = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > max) {
                throw new IllegalStateException(name + " is larger than " + max + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + " from the class path", e);
        }
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
