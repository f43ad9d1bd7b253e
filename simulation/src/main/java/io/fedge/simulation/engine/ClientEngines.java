package io.fedge.simulation.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds {@link ClientEngine}s by name among the {@link ClientEngine.Provider}s on the class path. */
public final class ClientEngines {
    /** The name of running the clients in the simulating process (no engine). */
    public static final String IN_PROCESS = "in-process";

    private ClientEngines() {
    }

    /** The names of the engines on the class path, {@link #IN_PROCESS} first. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(IN_PROCESS);
        for (ClientEngine.Provider p : providers()) {
            names.add(p.name());
        }
        return names;
    }

    /**
     * The engine named {@code name} with {@code options}, or null for {@link #IN_PROCESS}.
     *
     * @throws IllegalArgumentException if no engine has that name (the message names those there
     *     are, and the jar a known one lives in) or an option is wrong
     */
    public static ClientEngine create(String name, Map<String, String> options) {
        if (IN_PROCESS.equals(name)) {
            if (!options.isEmpty()) {
                throw new IllegalArgumentException("the in-process engine takes no --engine-option: " + options.keySet());
            }
            return null;
        }
        for (ClientEngine.Provider p : providers()) {
            if (p.name().equals(name)) {
                return p.create(Map.copyOf(options));
            }
        }
        String hint = "spark".equals(name) ? " (the spark engine is the optional fedge-spark module: build it with "
                + "'mvn -pl spark -am package' and run ./fedge, which puts it on the class path for --engine spark)" : "";
        throw new IllegalArgumentException("no engine '" + name + "' on the class path; there are: "
                + String.join(", ", names()) + hint);
    }

    private static List<ClientEngine.Provider> providers() {
        List<ClientEngine.Provider> all = new ArrayList<>();
        ServiceLoader.load(ClientEngine.Provider.class, ClientEngines.class.getClassLoader()).forEach(all::add);
        return all;
    }
}
