package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.coordinator.AdminClient;
import io.fedge.coordinator.ModelEntry;
import io.fedge.coordinator.StoredRegistry;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code fedge models list|show|promote|rollback}: the model registry of a coordinator, read from
 * its state folder ({@code --state}) or asked of the running coordinator's admin API
 * ({@code --admin https://HOST:PORT} with an administrator's certificate), and the two changes an
 * administrator makes there.
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List and show a coordinator's model versions (lineage, evaluations, labels); promote a version "
                + "to stable or roll training back to one, through the running coordinator's admin API.",
        subcommands = {ModelsCommand.ListVersions.class, ModelsCommand.Show.class, ModelsCommand.Promote.class,
                ModelsCommand.Rollback.class, ModelsCommand.Canary.class, ModelsCommand.Compare.class,
                ModelsCommand.Comparisons.class})
final class ModelsCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "name a subcommand: list, show, promote or rollback");
    }

    /** Where the registry is: a state folder, or a running coordinator. */
    static final class Source {
        @Option(names = "--state", description = "the coordinator's state folder (its --out), read directly")
        Path state;

        @ArgGroup(exclusive = false)
        Admin admin;

        /** Exactly one of the two must be given. */
        void check() {
            if ((state == null) == (admin == null)) {
                throw new IllegalArgumentException("give either --state DIR (read the state folder) or --admin "
                        + "https://HOST:PORT (ask the running coordinator)");
            }
        }
    }

    /** How to reach a running coordinator's admin API. */
    static final class Admin {
        @Option(names = "--admin", required = true, description = "the coordinator's admin endpoint, https://HOST:PORT")
        URI url;

        @Option(names = "--certs", description = "folder made by 'fedge certs' (ca.crt, admins/NAME.crt/.key); default "
                + "${DEFAULT-VALUE}")
        Path certs = Path.of("certs");

        @Option(names = "--name", description = "the administrator's certificate (admins/NAME); default ${DEFAULT-VALUE}")
        String name = "admin";

        AdminClient client() throws IOException {
            CertificateDirectory dir = new CertificateDirectory(certs);
            for (Path p : List.of(dir.caCertificate(), dir.adminCertificate(name), dir.adminKey(name))) {
                if (!p.toFile().isFile()) {
                    throw new IllegalArgumentException("no " + p + ": issue an administrator's certificate with\n"
                            + "  ./fedge certs admin --dir " + certs + " --name " + name);
                }
            }
            return AdminClient.of(url, dir.loadAdmin(name), dir.loadCaCertificate());
        }
    }

    /** The registry's versions and labels, from either source. */
    private record Registry(List<ModelEntry> entries, Map<Long, List<String>> labels) {
    }

    private static Registry registry(Source source) throws Exception {
        source.check();
        if (source.state != null) {
            StoredRegistry r = StoredRegistry.read(source.state);
            Map<Long, List<String>> labels = new TreeMap<>();
            for (ModelEntry e : r.entries()) {
                labels.put(e.version(), r.labelsOf(e.version()));
            }
            return new Registry(r.entries(), labels);
        }
        JsonNode models = JSON.readTree(answer(source.admin.client().get("/api/models"))).get("models");
        List<ModelEntry> entries = new ArrayList<>();
        Map<Long, List<String>> labels = new TreeMap<>();
        for (int i = models.size() - 1; i >= 0; i--) {
            JsonNode m = models.get(i);
            ModelEntry e = new ModelEntry(m.get("version").asLong(), m.get("parent").isNull() ? -1
                    : m.get("parent").asLong(), m.get("round").asLong(), ModelEntry.Kind.of(m.get("kind").asText()),
                    m.get("strategy").asText(), m.get("codec").asText(), m.get("contributors").asInt(),
                    m.get("createdMillis").asLong(), m.get("sha256").asText(), m.get("fileKept").asBoolean(),
                    real(m, "testAccuracy"), real(m, "testLoss"), real(m, "federatedAccuracy"),
                    real(m, "federatedLoss"));
            entries.add(e);
            List<String> l = new ArrayList<>();
            m.get("labels").forEach(x -> l.add(x.asText()));
            labels.put(e.version(), l);
        }
        return new Registry(entries, labels);
    }

    private static double real(JsonNode m, String key) {
        JsonNode v = m.get(key);
        return v == null || v.isNull() ? Double.NaN : v.asDouble();
    }

    /** The body of a 2xx answer; otherwise the server's one-line message as the failure. */
    private static String answer(AdminClient.Reply r) throws IOException {
        if (r.status() / 100 == 2) {
            return r.body();
        }
        String message = r.body();
        try {
            JsonNode n = JSON.readTree(r.body());
            if (n.has("message")) {
                message = n.get("message").asText();
            }
        } catch (IOException ignored) {
            // not JSON: print the body as it came
        }
        throw new IllegalStateException("the coordinator refused (HTTP " + r.status() + "): " + message);
    }

    /** One edge export, as {@code show} prints it. */
    private static String export(String student, long bytes, double edgeAccuracy, double teacherAccuracy, String sha) {
        return String.format(Locale.ROOT, "%s, %d bytes, int8 accuracy %s (teacher %s), sha256 %s", student, bytes,
                acc(edgeAccuracy), acc(teacherAccuracy), sha);
    }

    private static String acc(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.4f", d);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every model version, newest first.")
    static final class ListVersions implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        Source source = new Source();

        @Override
        public Integer call() throws Exception {
            java.io.PrintWriter out = spec.commandLine().getOut();
            Registry r = registry(source);
            out.printf("%8s %8s %-9s %6s %8s %9s %9s %5s  %s%n", "version", "parent", "kind", "round",
                    "clients", "test acc", "fed acc", "file", "labels");
            for (int i = r.entries().size() - 1; i >= 0; i--) {
                ModelEntry e = r.entries().get(i);
                out.printf("%8d %8s %-9s %6d %8d %9s %9s %5s  %s%n", e.version(),
                        e.parent() < 0 ? "-" : Long.toString(e.parent()), e.kind().label(), e.round(), e.contributors(),
                        acc(e.testAccuracy()), acc(e.federatedAccuracy()), e.fileKept() ? "kept" : "-",
                        String.join(",", r.labels().getOrDefault(e.version(), List.of())));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One model version in full.")
    static final class Show implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        Source source = new Source();

        @Parameters(index = "0", paramLabel = "VERSION", description = "the model version")
        long version;

        @Override
        public Integer call() throws Exception {
            java.io.PrintWriter out = spec.commandLine().getOut();
            Registry r = registry(source);
            ModelEntry e = r.entries().stream().filter(x -> x.version() == version).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no model version " + version + " in the registry"
                            + " (versions " + (r.entries().isEmpty() ? "none" : r.entries().get(0).version() + " to "
                            + r.entries().get(r.entries().size() - 1).version()) + ")"));
            out.printf("version             %d%n", e.version());
            out.printf("kind                %s%n", e.kind().label());
            out.printf("parent              %s%n", e.parent() < 0 ? "-" : Long.toString(e.parent()));
            out.printf("round               %d%n", e.round());
            out.printf("strategy            %s%n", e.strategy().isEmpty() ? "-" : e.strategy());
            out.printf("codec               %s%n", e.codec().isEmpty() ? "-" : e.codec());
            out.printf("contributors        %d%n", e.contributors());
            out.printf("created             %s%n", e.createdMillis() == 0 ? "-"
                    : Instant.ofEpochMilli(e.createdMillis()).toString());
            out.printf("test accuracy       %s%n", acc(e.testAccuracy()));
            out.printf("test loss           %s%n", acc(e.testLoss()));
            out.printf("federated accuracy  %s%n", acc(e.federatedAccuracy()));
            out.printf("federated loss      %s%n", acc(e.federatedLoss()));
            out.printf("sha256              %s%n", e.sha256().isEmpty() ? "-" : e.sha256());
            out.printf("file                %s%n", e.fileKept() ? "kept" : "deleted by the retention policy");
            out.printf("labels              %s%n", String.join(", ", r.labels().getOrDefault(version, List.of())));
            List<String> exports = new ArrayList<>();
            if (source.state != null) {
                for (io.fedge.coordinator.EdgeExportEntry x : StoredRegistry.read(source.state).edgeExports()) {
                    if (x.version() == version) {
                        exports.add(export(x.student(), x.fileBytes(), x.edgeAccuracy(), x.teacherAccuracy(),
                                x.sha256()));
                    }
                }
            } else {
                JsonNode m = JSON.readTree(answer(source.admin.client().get("/api/models/" + version)));
                for (JsonNode x : m.get("edgeExports")) {
                    exports.add(export(x.get("student").asText(), x.get("fileBytes").asLong(), real(x, "edgeAccuracy"),
                            real(x, "teacherAccuracy"), x.get("sha256").asText()));
                }
            }
            out.printf("edge models         %s%n", exports.isEmpty() ? "none" : String.join("; ", exports));
            return 0;
        }
    }

    /** What promote and rollback share: the admin endpoint, the version, and one POST whose message is printed. */
    abstract static class Change implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @ArgGroup(exclusive = false, multiplicity = "1")
        Admin admin;

        @Parameters(index = "0", paramLabel = "VERSION", description = "the model version")
        long version;

        /** The API path to POST. */
        abstract String path();

        @Override
        public Integer call() throws Exception {
            String body = answer(admin.client().post(path()));
            spec.commandLine().getOut().println(JSON.readTree(body).get("message").asText());
            return 0;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Label a version stable on the running coordinator (refused by the guard when it evaluates "
                    + "worse than the stable version by more than the coordinator's --promote-margin, unless --force).")
    static final class Promote extends Change {
        @Option(names = "--force", description = "promote even if the guard refuses")
        boolean force;

        @Override
        String path() {
            return "/api/models/" + version + "/promote" + (force ? "?force=true" : "");
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Roll training back to a version on the running coordinator: before its next round it "
                    + "publishes a copy of that version, labelled stable, and trains on from it.")
    static final class Rollback extends Change {
        @Override
        String path() {
            return "/api/models/" + version + "/rollback";
        }
    }

    @Command(name = "canary", mixinStandardHelpOptions = true,
            description = "Try a version's edge model on the canary's share of inference devices now (a coordinator "
                    + "with --edge-every and --canary); the canary test then promotes or rolls it back.")
    static final class Canary extends Change {
        @Override
        String path() {
            return "/api/models/" + version + "/canary";
        }
    }

    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = "Federated A/B evaluation on the running coordinator: between two rounds the same sampled "
                    + "clients evaluate both versions on their own data; the paired result (95% interval) lands in the "
                    + "registry ('fedge models comparisons').")
    static final class Compare implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @ArgGroup(exclusive = false, multiplicity = "1")
        Admin admin;

        @Parameters(index = "0", paramLabel = "A", description = "one model version")
        long a;

        @Parameters(index = "1", paramLabel = "B", description = "the other")
        long b;

        @Option(names = "--clients", description = "clients sampled; default ${DEFAULT-VALUE}")
        int clients = 10;

        @Override
        public Integer call() throws Exception {
            String body = answer(admin.client().post("/api/compare?a=" + a + "&b=" + b + "&clients=" + clients));
            spec.commandLine().getOut().println(JSON.readTree(body).get("message").asText());
            return 0;
        }
    }

    @Command(name = "comparisons", mixinStandardHelpOptions = true, description = "The federated A/B evaluations, "
            + "oldest first.")
    static final class Comparisons implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        Source source = new Source();

        @Override
        public Integer call() throws Exception {
            java.io.PrintWriter out = spec.commandLine().getOut();
            source.check();
            List<String> lines = new ArrayList<>();
            if (source.state != null) {
                for (io.fedge.coordinator.ComparisonResult c : StoredRegistry.read(source.state).comparisons()) {
                    lines.add(c.id() + "  after round " + c.afterRound() + ": " + c.describe());
                }
            } else {
                JsonNode all = JSON.readTree(answer(source.admin.client().get("/api/comparisons"))).get("comparisons");
                for (JsonNode c : all) {
                    lines.add(c.get("id").asLong() + "  after round " + c.get("afterRound").asLong() + ": "
                            + c.get("summary").asText());
                }
            }
            if (lines.isEmpty()) {
                out.println("no A/B evaluations yet");
            }
            lines.forEach(out::println);
            return 0;
        }
    }
}
