package io.fedge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import javax.lang.model.SourceVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code fedge new DIR}: writes a Maven project that embeds the fedge client with the user's own
 * model and data loader ({@link ProjectTemplate}), built against the fedge artifacts of this
 * build ({@link FedgeBuild}). Refuses a DIR that exists and is not an empty folder: it never
 * overwrites.
 */
@Command(name = "new", mixinStandardHelpOptions = true,
        description = {"Write a Maven project for a client with your own model and data: pom.xml (fedge-client and "
                + "fedge-core of this fedge), MyModel (a DL4J configuration), MyData (a data loader), Main (joins a "
                + "coordinator), README.md and federation.yaml. DIR must not exist or be an empty folder."})
final class NewCommand implements Callable<Integer>, OptionChecks.Validated {
    @Parameters(index = "0", paramLabel = "DIR", description = "the project's folder")
    Path dir;

    @Option(names = "--package", description = "the Java package of the sources, also the project's groupId; "
            + "default ${DEFAULT-VALUE}")
    String javaPackage = "com.example.federated";

    @Option(names = "--name", description = "the project's artifactId and jar name; default: DIR's name")
    String name;

    @Override
    public void validate() {
        if (!SourceVersion.isName(javaPackage) || !javaPackage.equals(javaPackage.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("--package must be a Java package name in lower case, such as "
                    + "com.example.federated, not '" + javaPackage + "'");
        }
        String n = projectName();
        if (!n.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException((name == null ? "DIR's name '" + n + "' is not a project name; give "
                    + "--name" : "--name '" + n + "' is not a project name") + ": lower-case letters, digits, '.', '-' "
                    + "and '_', starting with a letter or digit, at most 64 characters");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is a file, not a folder");
        }
    }

    private String projectName() {
        if (name != null) {
            return name;
        }
        Path last = dir.toAbsolutePath().normalize().getFileName();
        return last == null ? "" : last.toString();
    }

    @Override
    public Integer call() throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException(dir + " is not empty: fedge new writes only into a new or "
                            + "empty folder");
                }
            }
        }
        FedgeBuild build = FedgeBuild.current();
        String n = projectName();
        Map<String, String> values = Map.of(
                "package", javaPackage,
                "packagePath", javaPackage.replace('.', '/'),
                "name", n,
                "fedgeGroupId", build.groupId(),
                "fedgeVersion", build.version(),
                "dl4jVersion", build.dl4jVersion(),
                "nd4jBackend", build.nd4jBackend(),
                "nd4jClassifier", build.nd4jClassifier(),
                "slf4jVersion", build.slf4jVersion());
        Files.createDirectories(dir);
        for (Path p : ProjectTemplate.write(dir, values)) {
            System.out.println("wrote " + p);
        }
        System.out.printf("""
                %s: a fedge %s client with its own model and data. Next:
                  (in fedge) mvn install -DskipTests     once, for fedge's artifacts
                  cd %s && mvn package
                then README.md: write the model, start fedge coordinator --config federation.yaml, run clients.
                """, n, build.version(), dir);
        return 0;
    }
}
