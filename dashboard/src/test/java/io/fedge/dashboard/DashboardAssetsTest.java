package io.fedge.dashboard;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built dashboard on the class path (written by the module's web build in generate-resources)
 * and the path rules, checked against the manifest and resources read here directly, and against
 * small manifests under {@code fixtures/}.
 */
class DashboardAssetsTest {
    private static final String FIXTURES = "io/fedge/dashboard/fixtures/";
    private static final DashboardAssets BUILT = DashboardAssets.load();

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = DashboardAssetsTest.class.getClassLoader().getResourceAsStream(name)) {
            assertTrue(in != null, name + " on the class path");
            return in.readAllBytes();
        }
    }

    private static String text(String path) {
        return new String(BUILT.find(path).orElseThrow().bytes(), StandardCharsets.UTF_8);
    }

    private static DashboardAssets fixture(String name, int maxBytes) {
        return DashboardAssets.load(DashboardAssetsTest.class.getClassLoader(), FIXTURES + name + "/", maxBytes);
    }

    @Test
    void theBuiltPageIsWhatTheManifestLists() throws IOException {
        List<String> listed = new ArrayList<>();
        for (String line : new String(resource(DashboardAssets.RESOURCE_ROOT + DashboardAssets.MANIFEST), StandardCharsets.UTF_8)
                .split("\n")) {
            if (!line.isEmpty()) {
                listed.add(line);
            }
        }
        assertEquals(new TreeSet<>(listed), BUILT.paths());
        assertEquals(listed.size(), BUILT.paths().size(), "no line twice");
        for (String required : List.of("index.html", "app.js", "style.css", "uPlot.esm.js", "uPlot.min.css", "uPlot.LICENSE.txt")) {
            assertTrue(BUILT.paths().contains(required), required);
        }
        for (String path : BUILT.paths()) {
            DashboardAsset asset = BUILT.find(path).orElseThrow();
            byte[] expected = resource(DashboardAssets.RESOURCE_ROOT + path);
            assertArrayEquals(expected, asset.bytes(), path);
            assertEquals(expected.length, asset.length());
            String hex = HexFormat.of().formatHex(sha256(expected)).substring(0, 32);
            assertEquals("\"" + hex + "\"", asset.etag(), path);
        }
    }

    @Test
    void everyFileThePageReferencesIsAnAsset() {
        // Independent of the build: the page's own references, read from its text.
        List<String> referenced = new ArrayList<>();
        Matcher html = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(text("index.html"));
        while (html.find()) {
            referenced.add(html.group(1));
        }
        Pattern imports = Pattern.compile("(?:from|import)\\s+'\\./([^']+)'");
        for (String path : BUILT.paths()) {
            if (path.endsWith(".js") && !path.startsWith("uPlot")) {
                Matcher m = imports.matcher(text(path));
                while (m.find()) {
                    referenced.add(m.group(1));
                }
            }
        }
        assertTrue(referenced.containsAll(List.of("app.js", "style.css", "uPlot.min.css", "uPlot.esm.js", "state.js")), referenced.toString());
        for (String ref : referenced) {
            assertFalse(ref.contains("//"), "no external reference: " + ref);
            assertTrue(BUILT.find(ref).isPresent(), "referenced but not built: " + ref);
        }
    }

    @Test
    void contentTypesFollowTheExtension() {
        assertEquals("text/html; charset=utf-8", BUILT.find("index.html").orElseThrow().contentType());
        assertEquals("text/javascript; charset=utf-8", BUILT.find("app.js").orElseThrow().contentType());
        assertEquals("text/javascript; charset=utf-8", BUILT.find("uPlot.esm.js").orElseThrow().contentType());
        assertEquals("text/css; charset=utf-8", BUILT.find("uPlot.min.css").orElseThrow().contentType());
        assertEquals("text/plain; charset=utf-8", BUILT.find("uPlot.LICENSE.txt").orElseThrow().contentType());
        assertEquals("image/svg+xml", BUILT.find("favicon.svg").orElseThrow().contentType());
        assertEquals(null, DashboardAssets.contentType("DashboardAssets.class"));
        assertEquals(null, DashboardAssets.contentType("README"));
    }

    @Test
    void requestPathsMapToAssetsAndSlashToTheIndex() {
        assertEquals(BUILT.find("index.html"), BUILT.forRequestPath("/"));
        assertEquals("index.html", BUILT.forRequestPath("/index.html").orElseThrow().path());
        assertEquals("app.js", BUILT.forRequestPath("/app.js").orElseThrow().path());
    }

    @Test
    void filesBesideTheAssetsAreNotServed() throws IOException {
        // The compiled class and the manifest sit in the same class-path folder.
        assertTrue(resource("io/fedge/dashboard/DashboardAssets.class").length > 0);
        assertEquals(Optional.empty(), BUILT.forRequestPath("/DashboardAssets.class"));
        assertEquals(Optional.empty(), BUILT.forRequestPath("/assets.txt"));
        assertEquals(Optional.empty(), BUILT.find("package.json"));
        assertEquals(Optional.empty(), BUILT.find("fixtures/good/index.html"));
        assertEquals(Optional.empty(), BUILT.find("App.js"), "paths are case-sensitive");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../secret", "a/../index.html", "..", "/etc/passwd", "C:/x.js", "c:x", "a\\b.js", "./app.js",
            "a//b.js", "app.js/", "", "app\u0000.js", "app\n.js"})
    void malformedPathsAreRefusedByName(String path) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BUILT.find(path));
        assertTrue(e.getMessage().startsWith("dashboard asset path must"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void requestPathsMustBeAbsoluteAndWithoutQuery() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BUILT.forRequestPath("app.js")).getMessage()
                .contains("must start with '/': 'app.js'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BUILT.forRequestPath("/app.js?v=2")).getMessage()
                .contains("query or fragment"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BUILT.forRequestPath("/../pom.xml")).getMessage()
                .contains("must not hold '..'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BUILT.forRequestPath("//etc/passwd")).getMessage()
                .contains("must be relative"));
        assertThrows(NullPointerException.class, () -> BUILT.forRequestPath(null));
    }

    @Test
    void pathLengthIsBounded() {
        String atBound = "a".repeat(DashboardAssets.MAX_PATH_LENGTH - 3) + ".js";
        assertEquals(DashboardAssets.MAX_PATH_LENGTH, atBound.length());
        assertEquals(Optional.empty(), BUILT.find(atBound), "at the bound: well formed, unknown");
        String over = "a" + atBound;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BUILT.find(over));
        assertTrue(e.getMessage().contains("at most 128 characters: 129"), e.getMessage());
    }

    @Test
    void assetsAreImmutable() {
        DashboardAsset asset = BUILT.find("app.js").orElseThrow();
        byte[] first = asset.bytes();
        first[0] ^= 1;
        assertNotSame(first, asset.bytes());
        assertEquals(text("app.js").getBytes(StandardCharsets.UTF_8)[0], asset.bytes()[0]);
        ByteBuffer view = asset.buffer();
        assertTrue(view.isReadOnly());
        assertEquals(asset.length(), view.remaining());
        assertThrows(UnsupportedOperationException.class, () -> BUILT.paths().add("x.js"));
    }

    @Test
    void aFixtureManifestLoadsNestedPathsAndNothingElse() {
        DashboardAssets good = fixture("good", 1024);
        assertEquals(new TreeSet<>(List.of("index.html", "sub/app.js")), good.paths());
        assertEquals("export const x = 1;\n", new String(good.forRequestPath("/sub/app.js").orElseThrow().bytes(), StandardCharsets.UTF_8));
        assertEquals(Optional.empty(), good.find("secret.txt"), "on the class path but not listed");
    }

    @Test
    void badManifestsAreRefusedNamingTheLine() {
        assertEquals(FIXTURES + "traversal/assets.txt line 2: dashboard asset path must not hold '..': '../good/secret.txt'",
                assertThrows(IllegalStateException.class, () -> fixture("traversal", 1024)).getMessage());
        assertEquals(FIXTURES + "missing/assets.txt line 2: 'gone.js' is listed but not on the class path",
                assertThrows(IllegalStateException.class, () -> fixture("missing", 1024)).getMessage());
        assertEquals(FIXTURES + "badext/assets.txt line 2: 'data.json' is not of a type the dashboard serves"
                        + " (expected css, html, js, svg, txt)",
                assertThrows(IllegalStateException.class, () -> fixture("badext", 1024)).getMessage());
        assertEquals(FIXTURES + "noindex/assets.txt lists no index.html",
                assertThrows(IllegalStateException.class, () -> fixture("noindex", 1024)).getMessage());
        assertEquals(FIXTURES + "twice/assets.txt line 2: 'index.html' listed twice",
                assertThrows(IllegalStateException.class, () -> fixture("twice", 1024)).getMessage());
        assertTrue(assertThrows(IllegalStateException.class, () -> fixture("absent", 1024)).getMessage()
                .startsWith("no " + FIXTURES + "absent/assets.txt on the class path: the dashboard was not built"));
    }

    @Test
    void fileSizeIsBounded() {
        // big/index.html is 2,048 bytes: loaded at that bound, refused one byte under it.
        assertEquals(2048, fixture("big", 2048).find("index.html").orElseThrow().length());
        assertEquals(FIXTURES + "big/index.html is larger than 2047 bytes",
                assertThrows(IllegalStateException.class, () -> fixture("big", 2047)).getMessage());
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
