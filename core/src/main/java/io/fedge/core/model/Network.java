package io.fedge.core.model;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Objects;

/**
 * A DL4J network of either kind fedge federates: a {@link MultiLayerNetwork} (a stack of layers)
 * or a {@link ComputationGraph} (residual, multi-input or multi-output graphs), behind the few
 * operations fedge needs: flat parameters in and out, one training step on a batch, inference,
 * and the training state a fresh local training must not inherit.
 *
 * <p>Features reach a network as fedge's data sets hold them: one row per example
 * ({@code [n, F]}, images channel-first), which DL4J's flat input types
 * ({@code InputType.feedForward}, {@code InputType.convolutionalFlat}) take as they are.
 *
 * <p>Not thread-safe, as the DL4J network it wraps.
 */
public final class Network {
    /** Which DL4J class the network is. */
    public enum Kind {
        /** {@link MultiLayerNetwork}, described by a {@link MultiLayerConfiguration}. */
        LAYERS,
        /** {@link ComputationGraph}, described by a {@link ComputationGraphConfiguration}. */
        GRAPH
    }

    private final MultiLayerNetwork layers;
    private final ComputationGraph graph;

    private Network(MultiLayerNetwork layers, ComputationGraph graph) {
        this.layers = layers;
        this.graph = graph;
    }

    /** Wraps an initialised layer stack. */
    public static Network of(MultiLayerNetwork net) {
        return new Network(Objects.requireNonNull(net, "net"), null);
    }

    /** Wraps an initialised graph. */
    public static Network of(ComputationGraph net) {
        return new Network(null, Objects.requireNonNull(net, "net"));
    }

    /**
     * The kind of network a DL4J configuration JSON describes: a graph configuration has
     * {@code vertices}, a layer stack {@code confs}.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if it is neither
     */
    public static Kind kindOf(String configJson) {
        Objects.requireNonNull(configJson, "configJson");
        // Both of DL4J's JSON forms are objects whose top-level keys name the kind; a cheap textual
        // check avoids parsing the configuration twice. The full parse follows in fromJson.
        if (configJson.contains("\"vertices\"")) {
            return Kind.GRAPH;
        }
        if (configJson.contains("\"confs\"")) {
            return Kind.LAYERS;
        }
        throw new FedgeException(ErrorCode.MALFORMED,
                "not a DL4J network configuration: neither a MultiLayerConfiguration (\"confs\") nor a "
                        + "ComputationGraphConfiguration (\"vertices\")");
    }

    /**
     * A freshly initialised network (seeded parameters) for a DL4J configuration JSON of either kind.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if DL4J cannot read the configuration
     */
    public static Network fromJson(String configJson) {
        Kind kind = kindOf(configJson);
        Dl4jHelpers.enable();
        try {
            if (kind == Kind.GRAPH) {
                ComputationGraph net = new ComputationGraph(ComputationGraphConfiguration.fromJson(configJson));
                net.init();
                return of(net);
            }
            MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(configJson));
            net.init();
            return of(net);
        } catch (RuntimeException e) {
            if (e instanceof FedgeException) {
                throw e;
            }
            throw new FedgeException(ErrorCode.MALFORMED, "DL4J cannot read the " + kind.name().toLowerCase()
                    + " configuration: " + e.getMessage());
        }
    }

    public Kind kind() {
        return layers != null ? Kind.LAYERS : Kind.GRAPH;
    }

    /** The layer stack, for code that only handles that kind. */
    public MultiLayerNetwork layers() {
        if (layers == null) {
            throw new IllegalStateException("this network is a ComputationGraph");
        }
        return layers;
    }

    /** The graph, for code that only handles that kind. */
    public ComputationGraph graph() {
        if (graph == null) {
            throw new IllegalStateException("this network is a MultiLayerNetwork");
        }
        return graph;
    }

    /** The wrapped DL4J model (listeners, scores). */
    public org.deeplearning4j.nn.api.Model model() {
        return layers != null ? layers : graph;
    }

    /** The configuration as JSON, the form {@link GlobalModel#configJson()} carries. */
    public String configJson() {
        return layers != null ? layers.getLayerWiseConfigurations().toJson() : graph.getConfiguration().toJson();
    }

    /** The layers, in DL4J's order (a graph's topological order); their parameters are views of {@link #params()}. */
    public Layer[] layerArray() {
        return layers != null ? layers.getLayers() : graph.getLayers();
    }

    /** The live flat parameter view ({@code [1, P]}); writes to it change the network. */
    public INDArray params() {
        return layers != null ? layers.params() : graph.params();
    }

    public long numParams() {
        return layers != null ? layers.numParams() : graph.numParams();
    }

    /** A copy of the parameters as one flat vector, in DL4J's order. */
    public float[] parameters() {
        return params().toFloatVector();
    }

    /**
     * Overwrites the parameters.
     *
     * @throws FedgeException with {@link ErrorCode#SHAPE_MISMATCH} if the lengths differ
     */
    public void setParameters(float[] values) {
        INDArray current = params();
        if (current.length() != values.length) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH,
                    "network has " + current.length() + " parameters, got " + values.length);
        }
        current.assign(Nd4j.createFromArray(values).reshape(current.shape()));
    }

    /** How many input arrays the network takes (1 for a layer stack). */
    public int inputCount() {
        return layers != null ? 1 : graph.getNumInputArrays();
    }

    /** How many output arrays it produces (1 for a layer stack). */
    public int outputCount() {
        return layers != null ? 1 : graph.getNumOutputArrays();
    }

    /** Whether DL4J divides the summed minibatch gradient by the batch size (its default). */
    public boolean isMiniBatch() {
        return layers != null ? layers.conf().isMiniBatch()
                : graph.getConfiguration().getDefaultConfiguration().isMiniBatch();
    }

    public void setLearningRate(double learningRate) {
        if (layers != null) {
            layers.setLearningRate(learningRate);
        } else {
            graph.setLearningRate(learningRate);
        }
    }

    public void setListeners(TrainingListener... listeners) {
        if (layers != null) {
            layers.setListeners(listeners);
        } else {
            graph.setListeners(listeners);
        }
    }

    /** One step of DL4J's optimizer on one batch. A layer stack takes the first features and labels. */
    public void fit(MultiDataSet batch) {
        if (layers != null) {
            if (batch.numFeatureArrays() != 1 || batch.numLabelsArrays() != 1) {
                throw new IllegalArgumentException("a MultiLayerNetwork trains on one features and one labels array, got "
                        + batch.numFeatureArrays() + " and " + batch.numLabelsArrays());
            }
            layers.fit(new org.nd4j.linalg.dataset.DataSet(batch.getFeatures(0), batch.getLabels(0)));
        } else {
            graph.fit(batch);
        }
    }

    /** The loss of the last {@link #fit} (mean over its batch, with regularization). */
    public double score() {
        return layers != null ? layers.score() : graph.score();
    }

    /** Inference: the network's outputs for its inputs (test mode: no dropout, running BatchNorm statistics). */
    public INDArray[] output(INDArray... inputs) {
        if (layers != null) {
            if (inputs.length != 1) {
                throw new IllegalArgumentException("a MultiLayerNetwork takes one input, got " + inputs.length);
            }
            return new INDArray[] {layers.output(inputs[0], false)};
        }
        return graph.output(false, inputs);
    }

    /**
     * Forgets what an earlier training left: a stateful updater (Adam's moments, say) starts
     * afresh at the next fit, and the iteration and epoch counts (which drive schedules) are zero.
     * Parameters are kept.
     */
    public void resetTrainingState() {
        if (layers != null) {
            org.deeplearning4j.nn.api.Updater updater = layers.getUpdater(false);
            if (updater != null && updater.getStateViewArray() != null) {
                layers.setUpdater(null); // DL4J creates and initializes a new one at the next fit
            }
            layers.setIterationCount(0);
            layers.setEpochCount(0);
        } else {
            org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater updater = graph.getUpdater(false);
            if (updater != null && updater.getStateViewArray() != null) {
                graph.setUpdater(null);
            }
            graph.getConfiguration().setIterationCount(0);
            graph.getConfiguration().setEpochCount(0);
        }
    }
}
