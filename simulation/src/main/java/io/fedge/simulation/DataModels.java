package io.fedge.simulation;

import io.fedge.core.metrics.Task;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelPresets;
import io.fedge.data.Examples;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

/**
 * The model preset built for a data set: its input shape, and its classes
 * ({@link ModelPresets#byName(String, long, double, InputShape, int)}) or, for a regression, its
 * targets ({@link ModelPresets#mlpRegression}). Stateless.
 */
public final class DataModels {
    private DataModels() {
    }

    /**
     * Version 0 of a federation on {@code data}: the model {@code source} names, built for the
     * data's shape and classes; for a regression the {@code mlp} preset is {@link ModelPresets#mlpRegression}
     * and a configuration must have as many outputs as the data have targets.
     *
     * @throws IllegalArgumentException in one line if the model cannot take the data
     */
    public static io.fedge.core.model.GlobalModel initialModel(io.fedge.core.model.ModelSource source, Examples data,
                                                               long seed, double learningRate) {
        return initialModel(source, data.shape(), data.task(), data.outputs(), seed, learningRate);
    }

    /**
     * As {@link #initialModel(io.fedge.core.model.ModelSource, Examples, long, double)}, for data of
     * {@code shape} with {@code outputs} classes or targets.
     */
    public static io.fedge.core.model.GlobalModel initialModel(io.fedge.core.model.ModelSource source, InputShape shape,
                                                               Task task, int outputs, long seed, double learningRate) {
        if (source instanceof io.fedge.core.model.ModelSource.Named named && ModelPresets.NAMES.contains(named.name())) {
            return io.fedge.core.model.Dl4jModels.initialModel(preset(named.name(), seed, learningRate, shape, task,
                    outputs));
        }
        if (task != Task.CLASSIFICATION && source instanceof io.fedge.core.model.ModelSource.Named) {
            throw new IllegalArgumentException("a regression trains the 'mlp' preset or a model configuration "
                    + "(--model-config); model '" + source.describe() + "' is a classifier");
        }
        return source.initialModel(shape, outputs, seed, learningRate);
    }

    /**
     * The preset called {@code name} for {@code data}.
     *
     * @throws IllegalArgumentException if no preset has that name, it cannot take the data's shape,
     *     or (regression) it is not {@code mlp}
     */
    public static MultiLayerConfiguration preset(String name, long seed, double learningRate, Examples data) {
        return preset(name, seed, learningRate, data.shape(), data.task(), data.outputs());
    }

    /**
     * The preset called {@code name} for examples of {@code shape} with {@code outputs} classes or targets.
     *
     * @throws IllegalArgumentException as {@link #preset(String, long, double, Examples)}
     */
    public static MultiLayerConfiguration preset(String name, long seed, double learningRate, InputShape shape,
                                                 Task task, int outputs) {
        if (task == Task.CLASSIFICATION) {
            return ModelPresets.byName(name, seed, learningRate, shape, outputs);
        }
        if (!name.equals("mlp")) {
            throw new IllegalArgumentException("a regression trains the 'mlp' preset (its output layer is linear "
                    + "with a mean-squared-error loss); '" + name + "' is a classifier");
        }
        return ModelPresets.mlpRegression(seed, learningRate, Math.toIntExact(shape.size()), outputs);
    }
}
