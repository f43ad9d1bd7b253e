package io.fedge.cli;

import io.fedge.core.model.ModelProviders;
import io.fedge.core.model.ModelSource;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The model options {@code fedge simulate} and {@code fedge coordinator} share: {@code --model NAME}
 * (a preset, then a model provider on the class path, listed in the commands' help) or
 * {@code --model-config FILE} (a DL4J configuration JSON of either kind), read and checked when
 * the options are validated so that a bad file is one line before anything starts.
 */
final class ModelOption {
    static final String DEFAULT = "mlp";

    @Option(names = "--model", paramLabel = "NAME", description = "model architecture: a preset (mlp, cnn, "
            + "simplecnn) or a model provider on the class path (listed below); default " + DEFAULT)
    String model;

    @Option(names = "--model-config", paramLabel = "FILE", description = "the model as a DL4J configuration JSON "
            + "file, a MultiLayerConfiguration or a ComputationGraphConfiguration (toJson()); instead of --model")
    Path modelConfig;

    private ModelSource source;

    /**
     * Reads the model: the name must be known, the file a configuration DL4J reads.
     *
     * @throws IllegalArgumentException in one line
     */
    void validate() {
        if (model != null && modelConfig != null) {
            throw new IllegalArgumentException("give --model or --model-config, not both");
        }
        if (modelConfig != null) {
            source = ModelSource.configFile(modelConfig);
        } else {
            String name = model == null ? DEFAULT : model;
            if (!ModelProviders.names().contains(name.trim().toLowerCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException("--model must be one of " + ModelProviders.names() + ", not '"
                        + name + "'");
            }
            source = ModelSource.named(name);
        }
    }

    /** The model the options give (validated first if need be). */
    ModelSource source() {
        if (source == null) {
            validate();
        }
        return source;
    }

    /** The model in words, for the command's banner. */
    String describe() {
        return source().describe();
    }
}
