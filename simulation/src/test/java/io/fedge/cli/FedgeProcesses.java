package io.fedge.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fedge} commands as separate JVMs on this test's class path, each writing its output to a
 * log file; {@link #close} kills whatever is still running.
 */
final class FedgeProcesses implements AutoCloseable {
    private final String heap;
    private final List<Process> processes = new ArrayList<>();

    FedgeProcesses(String heap) {
        this.heap = heap;
    }

    Process start(Path log, String... args) throws IOException {
        return startIn(null, log, args);
    }

    /**
     * As {@link #start}, in network namespace {@code netns} ({@code ip netns exec}, which execs the
     * JVM: the process is the JVM itself, so a forcible kill is a SIGKILL to it); null: this one.
     */
    Process startIn(String netns, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", netns));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-Dorg.bytedeco.javacpp.nopointergc=true", "-cp", System.getProperty("java.class.path"),
                Fedge.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        processes.forEach(Process::destroyForcibly);
    }
}
