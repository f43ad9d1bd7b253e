package io.fedge.export;

import io.fedge.core.model.Network;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What the teacher is exported as: a preset architecture ({@link StudentPresets}) built for the
 * teacher's input shape and classes, a DL4J {@code MultiLayerConfiguration} the user gives (as the
 * federation's own model is given), or {@link None}: the teacher itself, quantized without
 * distillation. Immutable and thread-safe.
 *
 * <pre>{@code
 * Student s = Student.parse("cnn-small");           // or "none", or "student.json"
 * }</pre>
 */
public sealed interface Student {
    /** The largest student configuration file read, as for a global model's configuration. */
    int MAX_CONFIG_BYTES = 16 << 20;

    /** How the student is named in reports and the edge model's metadata. */
    String name();

    /**
     * The student for {@code spec}: a preset name, {@code none}, or the path of a
     * MultiLayerConfiguration JSON file.
     *
     * @throws IllegalArgumentException if {@code spec} is none of them, or the file cannot be read or parsed
     */
    static Student parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.equals(None.NAME)) {
            return None.INSTANCE;
        }
        if (StudentPresets.NAMES.contains(spec)) {
            return new Preset(spec);
        }
        Path file = Path.of(spec);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("student '" + spec + "' is not one of " + StudentPresets.NAMES
                    + ", not '" + None.NAME + "', and no such file");
        }
        return Configuration.read(file);
    }

    /**
     * A preset ({@code mlp-small}, {@code cnn-small}).
     *
     * @param name one of {@link StudentPresets#NAMES}
     */
    record Preset(String name) implements Student {
        public Preset {
            if (!StudentPresets.NAMES.contains(name)) {
                throw new IllegalArgumentException("unknown student preset '" + name + "', known: "
                        + StudentPresets.NAMES);
            }
        }

        /** The inference configuration for {@code teacher}'s shape, initialised from {@code seed}, Adam at {@code learningRate}. */
        MultiLayerConfiguration configuration(ClassifierShape teacher, long seed, double learningRate) {
            return StudentPresets.build(name, StudentPresets.widths(name), seed, learningRate, null, teacher);
        }
    }

    /**
     * A configuration the user gives. It keeps its own seed, updater and learning rate; its output
     * layer is an {@code OutputLayer} with softmax.
     *
     * @param name what it is called in reports (its file name)
     * @param configuration the inference configuration
     */
    record Configuration(String name, MultiLayerConfiguration configuration) implements Student {
        public Configuration {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(configuration, "configuration");
            DistillationHead.check(configuration, "student " + name);
        }

        /**
         * Reads a MultiLayerConfiguration JSON file of at most {@link #MAX_CONFIG_BYTES}.
         *
         * @throws IllegalArgumentException naming the file if it is too large, unreadable, not such a
         *     configuration, or does not end in a softmax output layer
         */
        public static Configuration read(Path file) {
            String json;
            try {
                long size = Files.size(file);
                if (size > MAX_CONFIG_BYTES) {
                    throw new IllegalArgumentException("student " + file + " has " + size + " bytes; a configuration "
                            + "file has at most " + MAX_CONFIG_BYTES);
                }
                json = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read student " + file + ": " + e.getMessage(), e);
            }
            if (json.contains("\"vertices\"")) {
                throw new IllegalArgumentException("student " + file + " is a ComputationGraph configuration; a student "
                        + "is a MultiLayerConfiguration (use --student none to export a graph teacher as it is)");
            }
            MultiLayerConfiguration conf;
            try {
                conf = MultiLayerConfiguration.fromJson(json);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("student " + file + " is not a DL4J MultiLayerConfiguration: "
                        + firstLine(e), e);
            }
            return new Configuration(file.getFileName().toString(), conf);
        }

        /**
         * The configuration, if it reads and predicts what {@code teacher} does
         * ({@link ClassifierShape#admits}).
         *
         * @throws IllegalArgumentException naming both shapes if it does not
         */
        MultiLayerConfiguration configuration(ClassifierShape teacher) {
            MultiLayerNetwork net = new MultiLayerNetwork(configuration.clone());
            net.init();
            ClassifierShape mine = ClassifierShape.of(Network.of(net));
            if (!teacher.admits(mine)) {
                throw new IllegalArgumentException("student " + name + " " + mine + ", but the teacher " + teacher);
            }
            return configuration;
        }

        private static String firstLine(RuntimeException e) {
            Throwable t = e;
            while (t.getCause() != null && t.getMessage() == null) {
                t = t.getCause();
            }
            String m = String.valueOf(t.getMessage()).strip();
            int nl = m.indexOf('\n');
            m = nl >= 0 ? m.substring(0, nl) : m;
            return m.length() > 200 ? m.substring(0, 200) + "..." : m;
        }
    }

    /** The teacher itself, quantized as it is: no distillation, no pruning. */
    record None() implements Student {
        /** The one instance. */
        public static final None INSTANCE = new None();
        static final String NAME = "none";

        @Override
        public String name() {
            return NAME;
        }
    }
}
