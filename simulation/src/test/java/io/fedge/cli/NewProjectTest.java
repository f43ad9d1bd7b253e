package io.fedge.cli;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.coordinator.Coordinator;
import io.fedge.coordinator.RoundRecord;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fedge new DIR}: the project it writes has the right package and coordinates (fedge's,
 * read here from the reactor's own POM), its Java sources compile against fedge, and its Main
 * writes MyModel for a real coordinator and joins it for a round over a real socket.
 */
class NewProjectTest {
    @TempDir
    Path dir;

    private static final Path ROOT_POM = Path.of("..", "pom.xml");

    private Path generate(String... extra) {
        Path project = dir.resolve("acme-fl");
        String[] args = Stream.concat(Stream.of("new", project.toString()), Stream.of(extra)).toArray(String[]::new);
        CliRun r = CliRun.of(args);
        assertEquals(0, r.exit(), r.err());
        return project;
    }

    @Test
    void theProjectHasThePackageAndFedgesCoordinates() throws Exception {
        Path project = generate("--package", "com.acme.fl");
        List<String> expected = List.of("pom.xml", "README.md", "federation.yaml", ".gitignore",
                "src/main/java/com/acme/fl/Main.java", "src/main/java/com/acme/fl/MyModel.java",
                "src/main/java/com/acme/fl/MyData.java");
        try (Stream<Path> all = Files.walk(project)) {
            List<String> files = all.filter(Files::isRegularFile).map(p -> project.relativize(p).toString()).sorted().toList();
            assertEquals(expected.stream().sorted().toList(), files);
        }
        for (String f : expected) {
            String text = Files.readString(project.resolve(f));
            assertFalse(text.contains("{{"), f + " has a placeholder left");
            if (f.endsWith(".java")) {
                assertTrue(text.startsWith("package com.acme.fl;\n"), f);
            }
        }
        Document reactor = xml(ROOT_POM);
        String fedgeGroup = text(reactor.getDocumentElement(), "groupId");
        String fedgeVersion = text(reactor.getDocumentElement(), "version");
        Document pom = xml(project.resolve("pom.xml"));
        Element root = pom.getDocumentElement();
        assertEquals("com.acme.fl", text(root, "groupId"));
        assertEquals("acme-fl", text(root, "artifactId"), "the name defaults to DIR's");
        Map<String, String> properties = properties(root);
        assertEquals(fedgeVersion, properties.get("fedge.version"));
        assertEquals(properties(reactor.getDocumentElement()).get("dl4j.version"), properties.get("dl4j.version"));
        assertEquals(System.getProperty("fedge.nd4j.classifier"), properties.get("nd4j.classifier"),
                "the libnd4j build fedge's tests run on");
        Map<String, String> deps = new HashMap<>();
        NodeList list = root.getElementsByTagName("dependency");
        for (int i = 0; i < list.getLength(); i++) {
            Element d = (Element) list.item(i);
            deps.merge(text(d, "groupId") + ":" + text(d, "artifactId"), text(d, "version"), (a, b) -> a);
        }
        assertEquals("${fedge.version}", deps.get(fedgeGroup + ":fedge-client"));
        assertEquals("${fedge.version}", deps.get(fedgeGroup + ":fedge-core"));
        assertEquals("${dl4j.version}", deps.get("org.nd4j:nd4j-native"));
        // the plugins the generated pom pins are those fedge builds with, so mvn -o finds them
        Map<String, String> fedgePlugins = plugins(reactor.getDocumentElement());
        Map<String, String> pinned = plugins(root);
        assertFalse(pinned.isEmpty());
        for (Map.Entry<String, String> p : pinned.entrySet()) {
            assertEquals(fedgePlugins.get(p.getKey()), p.getValue(), p.getKey());
        }
    }

    @Test
    void theSourcesCompileAndMainJoinsARealCoordinatorForARound() throws Exception {
        Path project = generate("--package", "org.example.edge", "--name", "edge-trial");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        compile(project.resolve("src/main/java"), classes);

        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Class<?> main = loader.loadClass("org.example.edge.Main");
            Path modelFile = dir.resolve("model.fgm");
            assertEquals(0, run(main, "model", modelFile.toString(), "--insecure", "--seed", "3"));
            GlobalModel initial = ModelFile.read(modelFile, null);
            // 784-128-10 with biases, counted by hand
            assertEquals(784 * 128 + 128 + 128 * 10 + 10, initial.parameterCount());
            assertEquals(2, run(main, "connect", "no-port"), "bad arguments are exit 2");
            assertEquals(2, run(main, "launch"));

            ExecutorService clientThread = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> exit;
                try (Coordinator coordinator = Coordinator.builder()
                        .bind(new InetSocketAddress("127.0.0.1", 0))
                        .initialModel(initial)
                        .strategy(FedAvg.builder().minFitClients(1).minAvailableClients(1)
                                .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build())
                        .rounds(1)
                        .roundTimeout(Duration.ofMinutes(2))
                        .seed(1)
                        .build()) {
                    coordinator.start();
                    int port = coordinator.localAddress().getPort();
                    exit = clientThread.submit(() -> run(main, "connect", "127.0.0.1:" + port, "--id", "client-007",
                            "--part", "0/30", "--insecure"));
                    assertTrue(coordinator.awaitRounds(1, TimeUnit.MINUTES), "the round did not finish");
                    List<RoundRecord> rounds = coordinator.history().rounds();
                    assertEquals(1, rounds.size());
                    assertTrue(rounds.get(0).succeeded(), rounds.get(0).toString());
                    assertEquals(1, rounds.get(0).clients(), "the generated client's update was accepted");
                    assertEquals(1, coordinator.globalModel().version());
                    assertEquals(initial.parameterCount(), coordinator.globalModel().parameterCount());
                }
                // closing the finished coordinator tells the client the federation is over
                assertEquals(0, exit.get(1, TimeUnit.MINUTES), "Main connect exits 0 when the federation finished");
            } finally {
                clientThread.shutdownNow();
            }
        }
    }

    @Test
    void itRefusesAFolderThatIsNotEmptyAndBadNames() throws Exception {
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("notes.txt"), "mine");
        CliRun r = CliRun.of("new", full.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().strip().startsWith("fedge new: " + full + " is not empty"), r.err());
        assertEquals("mine", Files.readString(full.resolve("notes.txt")));
        assertEquals(1, Files.list(full).count(), "nothing written");

        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertTrue(CliRun.of("new", file.toString()).err().contains(file + " is a file"));
        assertTrue(CliRun.of("new", dir.resolve("x").toString(), "--package", "com.acme.class").err()
                .contains("--package must be a Java package name"));
        assertTrue(CliRun.of("new", dir.resolve("x").toString(), "--package", "Com.Acme").err()
                .contains("--package must be a Java package name in lower case"));
        assertTrue(CliRun.of("new", dir.resolve("My Project").toString()).err().contains("give --name"));
        assertTrue(CliRun.of("new", dir.resolve("x").toString(), "--name", "-x").err().contains("--name '-x'"));
        assertFalse(Files.exists(dir.resolve("x")));

        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals(0, CliRun.of("new", empty.toString()).exit(), "an empty folder is fine");
        assertTrue(Files.isRegularFile(empty.resolve("src/main/java/com/example/federated/Main.java")));
    }

    @Test
    void theFederationFileItWritesParsesForTheCoordinator() throws Exception {
        Path project = generate();
        CliRun r = CliRun.of("coordinator", "--config", project.resolve("federation.yaml").toString(), "--print-config");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("  initial: " + project.resolve("model.fgm").toAbsolutePath().normalize()), r.out());
        assertTrue(r.out().contains("  min_clients: 2\n"), r.out());
        assertTrue(r.out().contains("security:\n  tls: false\n"), r.out());
    }

    private static int run(Class<?> main, String... args) throws Exception {
        return (Integer) main.getMethod("run", String[].class).invoke(null, (Object) args);
    }

    private static void compile(Path sources, Path out) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        // surefire keeps the real class path here; java.class.path is its booter jar
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null);
             Stream<Path> walk = Files.walk(sources)) {
            List<File> java = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).toList();
            assertEquals(3, java.size());
            boolean ok = javac.getTask(null, files, diagnostics,
                    List.of("-classpath", classPath, "-d", out.toString(), "--release", "17", "-Xlint:all", "-Werror"),
                    null, files.getJavaFileObjectsFromFiles(java)).call();
            StringBuilder problems = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                problems.append(d).append('\n');
            }
            assertTrue(ok, problems.toString());
            assertEquals("", problems.toString(), "no warnings either");
        }
    }

    private static Document xml(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    /** The text of {@code parent}'s direct child {@code name}, or null. */
    private static String text(Element parent, String name) {
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().strip();
            }
        }
        return null;
    }

    private static Map<String, String> properties(Element project) {
        Map<String, String> out = new HashMap<>();
        NodeList props = project.getElementsByTagName("properties");
        for (org.w3c.dom.Node n = props.item(0).getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                out.put(e.getTagName(), e.getTextContent().strip());
            }
        }
        return out;
    }

    private static Map<String, String> plugins(Element project) {
        Map<String, String> out = new HashMap<>();
        NodeList list = project.getElementsByTagName("plugin");
        for (int i = 0; i < list.getLength(); i++) {
            Element p = (Element) list.item(i);
            if (text(p, "version") != null) {
                out.put(text(p, "artifactId"), text(p, "version"));
            }
        }
        return out;
    }
}
