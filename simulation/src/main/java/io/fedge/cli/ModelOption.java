package io.fedge.cli;

import io.fedge.core.model.ModelProviders;
import io.fedge.core.model.ModelSource;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The model options {@code fedge simulate} and {@code fedge coordinator} share: {@code --model NAME}
 * (a preset, then a model provider on the class path, listed in the commands' help) or
 * {@code --model-config FILE} (a DL4J configuration JSON of either kind, or a Keras HDF5 file:
 * {@link KerasModelFile}), read and checked when
 * the options are validated so that a bad file is one line before anything starts.
 */
final class ModelOption {
    static final String DEFAULT = "mlp";

    @Option(names = "--model", paramLabel = "NAME", defaultValue = DEFAULT, description = "model architecture: a "
            + "preset (mlp, cnn, cnn-bn, simplecnn) or a model provider on the class path (listed below); default " + DEFAULT)
    String model;

    /** The command this mixin belongs to, to tell a typed option from a default (a federation file's). */
    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec mixee;

    @Option(names = "--model-config", paramLabel = "FILE", description = "the model as a DL4J configuration JSON "
            + "file, a MultiLayerConfiguration or a ComputationGraphConfiguration (toJson()), or a compiled Keras 1 or 2 "
            + "model saved as HDF5 (model.h5: its architecture and weights, the federation's start); instead of --model")
    Path modelConfig;

    private ModelSource source;

    /**
     * Reads the model: the name must be known, the file a configuration DL4J reads.
     *
     * @throws IllegalArgumentException in one line
     */
    void validate() {
        boolean nameTyped = typed("--model");
        boolean configTyped = typed("--model-config");
        if (nameTyped && configTyped) {
            throw new IllegalArgumentException("give --model or --model-config, not both");
        }
        // --model always has a value (its default, or a federation file's); a configuration file
        // wins over it unless only --model was typed, which overrides a file's model.config
        if (modelConfig != null && !nameTyped) {
            source = KerasModelFile.isHdf5(modelConfig) || KerasModelFile.isZip(modelConfig)
                    ? KerasModelFile.read(modelConfig) : ModelSource.configFile(modelConfig);
        } else {
            String name = model == null ? DEFAULT : model;
            OptionChecks.oneOf("--model", name.trim().toLowerCase(java.util.Locale.ROOT), ModelProviders.names());
            source = ModelSource.named(name);
        }
    }

    private boolean typed(String option) {
        if (mixee == null || mixee.commandLine() == null || mixee.commandLine().getParseResult() == null) {
            return option.equals("--model-config") ? modelConfig != null : false;
        }
        return mixee.commandLine().getParseResult().hasMatchedOption(option);
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
