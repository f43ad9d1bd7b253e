package io.fedge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The coordinates and versions of the fedge build this CLI comes from, as Maven wrote them into
 * {@code fedge-build.properties} when it built the jar (resource filtering), so a project made by
 * {@code fedge new} depends on exactly the artifacts this build installs. Immutable.
 *
 * @param groupId        fedge's Maven group
 * @param version        fedge's version
 * @param dl4jVersion    the DL4J and ND4J version fedge builds against
 * @param nd4jBackend    the ND4J backend artifact ({@code nd4j-native})
 * @param nd4jClassifier the libnd4j build ({@code linux-x86_64-onednn-avx2})
 * @param slf4jVersion   the SLF4J version, for the new project's logging binding
 */
record FedgeBuild(String groupId, String version, String dl4jVersion, String nd4jBackend, String nd4jClassifier,
                  String slf4jVersion) {
    private static final String RESOURCE = "fedge-build.properties";

    FedgeBuild {
        for (String v : new String[] {groupId, version, dl4jVersion, nd4jBackend, nd4jClassifier, slf4jVersion}) {
            if (v == null || v.isBlank() || v.contains("${")) {
                throw new IllegalStateException(RESOURCE + " was not filled in by the build (" + v + "): rebuild "
                        + "fedge with mvn package");
            }
        }
    }

    /**
     * This build's.
     *
     * @throws IllegalStateException if the jar has no filled-in {@code fedge-build.properties}
     */
    static FedgeBuild current() {
        Properties p = new Properties();
        try (InputStream in = FedgeBuild.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("no " + RESOURCE + " beside " + FedgeBuild.class.getName());
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new FedgeBuild(p.getProperty("group"), p.getProperty("version"), p.getProperty("dl4j.version"),
                p.getProperty("nd4j.backend"), p.getProperty("nd4j.classifier"), p.getProperty("slf4j.version"));
    }
}
