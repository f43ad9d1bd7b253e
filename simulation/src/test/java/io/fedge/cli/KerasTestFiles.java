package io.fedge.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Keras test files, written into a folder by {@code keras/write_keras_h5.py} (h5py and numpy). */
final class KerasTestFiles {
    private KerasTestFiles() {
    }

    static void write(Path into) throws Exception {
        Path script = Path.of(KerasTestFiles.class.getResource("/keras/write_keras_h5.py").toURI());
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), into.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the writer script finished");
        assertEquals(0, p.exitValue(), "write_keras_h5.py needs /usr/bin/python3 with h5py and numpy (Debian: "
                + "apt-get install python3-h5py; .ci/run installs it): " + log);
    }
}
