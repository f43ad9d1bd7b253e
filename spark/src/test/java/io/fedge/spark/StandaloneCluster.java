package io.fedge.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A real Spark standalone cluster for tests: a {@code Master} and a {@code Worker}, each its own JVM
 * (as {@code ./fedge spark-master} and {@code ./fedge spark-worker} start them), on loopback, with a
 * Spark home whose {@code jars} are this test's class path, so that the worker's executors (JVMs it
 * starts) load fedge's classes.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://\\S+)");
    private final Path home;
    private final List<Process> processes = new ArrayList<>();
    private final String masterUrl;
    private final Path workerLog;
    private final Path workDir;
    private Process worker;

    private StandaloneCluster(Path home, int cores, String memory) throws IOException {
        this.home = home;
        Path jars = Files.createDirectories(home.resolve("jars"));
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                jarOf(p, jars.resolve("classes-" + n++ + ".jar"));
            } else if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        Files.writeString(home.resolve("RELEASE"), "fedge test Spark home\n"); // Spark's launcher looks for it
        Path masterLog = home.resolve("master.log");
        processes.add(start(masterLog, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "0",
                "--webui-port", "0"));
        String[] url = new String[1];
        await("the master's URL").atMost(Duration.ofMinutes(1)).until(() -> {
            Matcher m = MASTER_URL.matcher(Files.readString(masterLog));
            if (m.find()) {
                url[0] = m.group(1);
                return true;
            }
            return false;
        });
        this.masterUrl = url[0];
        this.workerLog = home.resolve("worker.log");
        this.workDir = Files.createDirectories(home.resolve("work"));
        startWorker(cores, memory);
    }

    /** A master and one worker of {@code cores} cores and {@code memory} for executors, under {@code home}. */
    static StandaloneCluster start(Path home, int cores, String memory) throws IOException {
        return new StandaloneCluster(home, cores, memory);
    }

    private void startWorker(int cores, String memory) throws IOException {
        worker = start(workerLog, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores",
                String.valueOf(cores), "--memory", memory, "--webui-port", "0", "--work-dir", workDir.toString(),
                masterUrl);
        processes.add(worker);
        await("the worker registered").atMost(Duration.ofMinutes(1))
                .until(() -> Files.readString(workerLog).contains("Successfully registered with master"));
    }

    /** The master's URL, {@code spark://127.0.0.1:PORT}. */
    String masterUrl() {
        return masterUrl;
    }

    /** The standard error of every executor the worker has started (its work folder's {@code app-*}/N/stderr). */
    List<Path> executorLogs() throws IOException {
        try (Stream<Path> s = Files.walk(workDir)) {
            return s.filter(p -> p.getFileName().toString().equals("stderr")).sorted().toList();
        }
    }

    /** The executor JVMs the worker runs now. */
    List<ProcessHandle> executors() {
        return worker.descendants().filter(p -> p.info().commandLine().orElse("")
                .contains("CoarseGrainedExecutorBackend")).toList();
    }

    private Process start(Path log, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", home.resolve("jars") + "/*",
                "-Dorg.slf4j.simpleLogger.log.org.apache.spark.deploy=info"));
        cmd.addAll(List.of(System.getProperty("fedge.spark.opens", "").split(" ")));
        cmd.removeIf(String::isEmpty);
        cmd.add(main);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.12");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    /** A jar of the classes and resources under {@code dir}. */
    private static void jarOf(Path dir, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
             Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                j.putNextEntry(new JarEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        }
    }

    /** Kills every process of the cluster (the worker's executors first) and waits for them to end. */
    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            p.onExit().join();
        }
    }
}
