package io.fedge.core.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Finds {@link ModelProvider}s by name: fedge's own and any on the class path (listed in
 * {@code META-INF/services/io.fedge.core.model.ModelProvider}), looked up through the class loader
 * of this class and the thread's context class loader. A provider whose name is a preset's
 * ({@link ModelPresets#NAMES}) is never reached: {@code --model} looks at the presets first.
 * Stateless and thread-safe.
 */
public final class ModelProviders {
    private ModelProviders() {
    }

    /** Every provider on the class path, by lower-case name, in name order; the first of a name wins. */
    public static Map<String, ModelProvider> available() {
        List<ModelProvider> all = new ArrayList<>();
        ServiceLoader.load(ModelProvider.class, ModelProviders.class.getClassLoader()).forEach(all::add);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != ModelProviders.class.getClassLoader()) {
            ServiceLoader.load(ModelProvider.class, context).forEach(all::add);
        }
        all.sort(Comparator.comparing(p -> p.name().toLowerCase(Locale.ROOT)));
        Map<String, ModelProvider> byName = new LinkedHashMap<>();
        for (ModelProvider p : all) {
            byName.putIfAbsent(p.name().toLowerCase(Locale.ROOT), p);
        }
        return byName;
    }

    /** The provider called {@code name} (any case), if one is on the class path. */
    public static Optional<ModelProvider> find(String name) {
        return Optional.ofNullable(available().get(name.trim().toLowerCase(Locale.ROOT)));
    }

    /** Every name {@code --model} takes: the presets, then the providers that are not presets. */
    public static List<String> names() {
        List<String> names = new ArrayList<>(ModelPresets.NAMES);
        for (String n : available().keySet()) {
            if (!names.contains(n)) {
                names.add(n);
            }
        }
        return names;
    }

    /** The providers, one line each, for {@code --help}. */
    public static String help() {
        StringBuilder sb = new StringBuilder();
        for (ModelProvider p : available().values()) {
            if (!ModelPresets.NAMES.contains(p.name().toLowerCase(Locale.ROOT))) {
                sb.append("  ").append(p.name()).append(": ").append(p.summary()).append(" (")
                        .append(p.getClass().getName()).append(")\n");
            }
        }
        return sb.toString();
    }
}
