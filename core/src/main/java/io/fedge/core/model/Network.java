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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DL4J network of either kind fedge federates: a {@link MultiLayerNetwork} (a stack of layers)
 * or a {@link ComputationGraph} (residual, multi-input or multi-output graphs), behind the few
 * operations fedge needs: flat parameters in and out, one training step on a batch, inference,
 * and the training state a fresh local training must not inherit.
 *
 * <p>Features reach a network as fedge's data sets hold them: one row per example
 * ({@code [n, F]}, images channel-first), labels one row per example ({@code [n, C]}). DL4J's
 * flat input types ({@code InputType.feedForward}, {@code InputType.convolutionalFlat}) take rows
 * as they are; for several inputs, image and sequence inputs and sequence outputs the network's
 * {@link RowLayout} cuts and reshapes them ({@link #fit(INDArray, INDArray)}, {@link #output}).
 * The layout is derived when the network is wrapped, so a configuration fedge cannot feed (a first
 * convolution without a preprocessor, say) is refused there.
 *
 * <p>{@link #batchNormParameters()} and {@link #statistics()} say which coordinates of the flat
 * parameter vector are BatchNorm parameters and which DL4J updates without a gradient (BatchNorm's
 * running mean and variance).
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
    private final RowLayout layout;
    /** The lean training path, or null where DL4J's fit trains the network ({@link #trainingPath()} says why). */
    private final io.fedge.core.model.lean.LeanNetwork lean;
    private final String trainingPath;
    /** Whether DL4J's fit runs although the network has a lean path (a batch with masks). */
    private boolean dl4jFit;
    private ParameterSpans batchNorm;
    private ParameterSpans statistics;

    private Network(MultiLayerNetwork layers, ComputationGraph graph) {
        this.layers = layers;
        this.graph = graph;
        this.layout = layers != null ? RowLayout.of(layers.getLayerWiseConfigurations())
                : RowLayout.of(graph.getConfiguration());
        if (layers != null) {
            JavaMaxPooling.install(layers);
            io.fedge.core.model.lean.LeanNetwork.Plan plan = io.fedge.core.model.lean.LeanNetwork.plan(layers);
            this.lean = plan.network();
            this.trainingPath = plan.describe();
        } else {
            JavaMaxPooling.install(graph.getLayers());
            this.lean = null;
            this.trainingPath = "DL4J's fit: a ComputationGraph (the lean path trains layer stacks)";
        }
        if (LOGGED_PATHS.add(trainingPath)) {
            LOG.info("{} ({} parameters)", trainingPath, numParams());
        }
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Network.class);
    /** The training paths already logged: a simulation builds the same network on every thread. */
    private static final java.util.Set<String> LOGGED_PATHS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * How {@link #fit} trains this network, in one line: {@code lean training path: dense 784->200
     * relu, ...} or {@code DL4J's fit: } and the reason the lean path does not take it.
     */
    public String trainingPath() {
        return trainingPath;
    }

    /**
     * Wraps an initialised layer stack.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if fedge cannot lay rows out for it ({@link RowLayout})
     */
    public static Network of(MultiLayerNetwork net) {
        return new Network(Objects.requireNonNull(net, "net"), null);
    }

    /**
     * Wraps an initialised graph.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if fedge cannot lay rows out for it ({@link RowLayout})
     */
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
     * The width of the first output of the network a configuration JSON describes (its classes, or
     * its regression targets): the output layer's {@code nOut}, read from the configuration alone,
     * nothing allocated; -1 if the configuration does not say (a parameterless loss layer).
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if DL4J cannot read the configuration
     */
    public static int outputWidth(String configJson) {
        try {
            org.deeplearning4j.nn.conf.layers.Layer out;
            if (kindOf(configJson) == Kind.LAYERS) {
                MultiLayerConfiguration c = MultiLayerConfiguration.fromJson(configJson);
                out = c.getConf(c.getConfs().size() - 1).getLayer();
            } else {
                ComputationGraphConfiguration c = ComputationGraphConfiguration.fromJson(configJson);
                out = c.getVertices().get(c.getNetworkOutputs().get(0)) instanceof
                        org.deeplearning4j.nn.conf.graph.LayerVertex v ? v.getLayerConf().getLayer() : null;
            }
            long n = out instanceof org.deeplearning4j.nn.conf.layers.FeedForwardLayer ff ? ff.getNOut() : -1;
            return n > 0 && n <= Integer.MAX_VALUE ? (int) n : -1;
        } catch (RuntimeException e) {
            if (e instanceof FedgeException) {
                throw e;
            }
            throw new FedgeException(ErrorCode.MALFORMED, "DL4J cannot read the configuration: " + e.getMessage());
        }
    }

    /**
     * A freshly initialised network (seeded parameters) for a DL4J configuration JSON of either kind.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if DL4J cannot read the configuration
     *     (the message is DL4J's, on one line) or fedge cannot lay rows out for it
     */
    public static Network fromJson(String configJson) {
        Kind kind = kindOf(configJson);
        io.fedge.core.model.lean.LeanNetwork.enabled(); // a wrong -Dfedge.training or -Dfedge.pooling is the
        JavaMaxPooling.enabled();                       // user's, not DL4J's: refused with the values allowed
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
            throw new FedgeException(ErrorCode.MALFORMED, "DL4J cannot read the "
                    + (kind == Kind.GRAPH ? "ComputationGraph" : "MultiLayerNetwork") + " configuration: "
                    + oneLine(e));
        }
    }

    /** The innermost message of {@code e} on one line (Jackson's span several, with the whole source). */
    private static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int source = m.indexOf(" at [Source:");
        m = (source > 0 ? m.substring(0, source) : m).replaceAll("\\s+", " ").strip();
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
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

    /**
     * A copy of the parameters as one flat vector, in DL4J's order, read straight from the native
     * buffer: no INDArray is allocated ({@link INDArray#toFloatVector} duplicates the array off the
     * heap first, and such a copy is freed only when ND4J's deallocator finds it collected, never
     * with JavaCPP's pointer GC off: a simulation training 10,000 clients a round grew by
     * gigabytes a round).
     */
    public float[] parameters() {
        INDArray p = params();
        java.nio.FloatBuffer direct = wholeFloatBuffer(p);
        if (direct == null) {
            return p.toFloatVector();
        }
        float[] out = new float[(int) p.length()];
        direct.get(out);
        return out;
    }

    /** Whether parameters are read and written in place in the native buffer (no INDArray per call). */
    boolean parametersInPlace() {
        return wholeFloatBuffer(params()) != null;
    }

    /** {@code p}'s elements in its native buffer, as floats, when {@code p} is a contiguous float vector; else null. */
    private static java.nio.FloatBuffer wholeFloatBuffer(INDArray p) {
        if (p.dataType() != org.nd4j.linalg.api.buffer.DataType.FLOAT || !p.isVectorOrScalar()
                || p.elementWiseStride() != 1 || p.offset() + p.length() > p.data().length()
                || p.data().length() > Integer.MAX_VALUE) {
            return null;
        }
        return io.fedge.core.model.lean.HostFloats.buffer(p);
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
        java.nio.FloatBuffer direct = wholeFloatBuffer(current);
        if (direct != null) {
            direct.put(values); // in place: no INDArray to allocate (and never free) per call
            return;
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

    /** How rows and labels are laid out for this network's inputs and output. */
    public RowLayout layout() {
        return layout;
    }

    /**
     * The coordinates of the parameters of every {@code BatchNormalization} layer: gamma, beta and
     * the running mean and variance (or log10 standard deviation).
     */
    public ParameterSpans batchNormParameters() {
        if (batchNorm == null) {
            batchNorm = spans(true);
        }
        return batchNorm;
    }

    /**
     * The coordinates DL4J updates without a gradient: what its layers exclude from the division by
     * the minibatch size ({@code updaterDivideByMinibatch}), BatchNorm's running mean and variance.
     * Their "gradient" is the update itself, applied by a {@code NoOp} updater.
     */
    public ParameterSpans statistics() {
        if (statistics == null) {
            statistics = spans(false);
        }
        return statistics;
    }

    /** Coordinates of the BatchNorm layers' parameters ({@code batchNorm}) or of the statistics. */
    private ParameterSpans spans(boolean batchNormLayers) {
        INDArray flat = params();
        long base = flat.offset();
        List<int[]> found = new ArrayList<>();
        for (Layer layer : layerArray()) {
            boolean isBatchNorm = layer.conf() != null
                    && layer.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization;
            if (batchNormLayers && !isBatchNorm) {
                continue;
            }
            for (Map.Entry<String, INDArray> p : layer.paramTable(false).entrySet()) {
                if (!batchNormLayers && layer.updaterDivideByMinibatch(p.getKey())) {
                    continue;
                }
                INDArray view = p.getValue();
                if (root(view.data()) != root(flat.data())) {
                    throw new IllegalStateException("parameter " + p.getKey() + " is not a view of the flat parameters");
                }
                found.add(new int[] {Math.toIntExact(view.offset() - base), Math.toIntExact(view.length())});
            }
        }
        int[] start = new int[found.size()];
        int[] length = new int[found.size()];
        for (int i = 0; i < start.length; i++) {
            start[i] = found.get(i)[0];
            length[i] = found.get(i)[1];
        }
        return ParameterSpans.of(start, length);
    }

    /** The buffer a view's buffer looks into (itself when it is no view). */
    private static org.nd4j.linalg.api.buffer.DataBuffer root(org.nd4j.linalg.api.buffer.DataBuffer b) {
        return b.originalDataBuffer() == null ? b : b.originalDataBuffer();
    }

    /** The number of examples of the batch being trained on (during a fit, for listeners). */
    public int batchSize() {
        if (lean != null && !dl4jFit) {
            return lean.batchSize();
        }
        return layers != null ? layers.batchSize() : graph.batchSize();
    }

    /** The flattened gradient the step will apply (during a fit, for listeners, which may rewrite it). */
    public INDArray flattenedGradients() {
        if (lean != null && !dl4jFit) {
            return lean.gradient();
        }
        return layers != null ? layers.getFlattenedGradients() : graph.getFlattenedGradients();
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

    /**
     * One SGD step on one batch: on the lean path where the network has one ({@link #trainingPath()})
     * and the batch no masks, else DL4J's optimizer. A layer stack takes the first features and labels.
     */
    public void fit(MultiDataSet batch) {
        if (layers != null) {
            if (batch.numFeatureArrays() != 1 || batch.numLabelsArrays() != 1) {
                throw new IllegalArgumentException("a MultiLayerNetwork trains on one features and one labels array, got "
                        + batch.numFeatureArrays() + " and " + batch.numLabelsArrays());
            }
            if (lean != null && batch.getFeaturesMaskArrays() == null && batch.getLabelsMaskArrays() == null) {
                lean.fit(batch.getFeatures(0), batch.getLabels(0));
                return;
            }
            dl4jFit = true; // masks: DL4J's fit, and its gradient for the listeners
            try {
                layers.fit(new org.nd4j.linalg.dataset.DataSet(batch.getFeatures(0), batch.getLabels(0),
                        batch.getFeaturesMaskArray(0), batch.getLabelsMaskArray(0)));
            } finally {
                dl4jFit = false;
            }
        } else {
            graph.fit(batch);
        }
    }

    /**
     * One step of the network's training path ({@link #trainingPath()}: the lean path, or DL4J's
     * optimizer) on a batch of fedge's rows: features {@code [n, F]} and labels
     * {@code [n, C]}, laid out as {@link #layout()} says.
     *
     * @throws IllegalArgumentException if the rows do not fit the network's inputs, or the network
     *     has more than one output (fedge's data sets have one label row per example)
     */
    public void fit(INDArray features, INDArray labels) {
        if (outputCount() != 1) {
            throw new IllegalArgumentException("the graph has " + outputCount() + " outputs; fedge's data sets give "
                    + "one label row per example, for one output");
        }
        if (lean != null) {
            lean.fit(features, labels); // a lean network takes rows as they are: no reshaping input, one output
            return;
        }
        INDArray[] in = layout.reshapes() ? layout.inputs(features) : new INDArray[] {features};
        INDArray[] lab = layout.labels(labels, layout.sequenceOutput() ? layout.timeSteps(features.columns()) : 1);
        if (layers != null) {
            layers.fit(new org.nd4j.linalg.dataset.DataSet(in[0], lab[0], null, lab[1]));
        } else {
            graph.fit(new org.nd4j.linalg.dataset.MultiDataSet(in, new INDArray[] {lab[0]}, null,
                    lab[1] == null ? null : new INDArray[] {lab[1]}));
        }
    }

    /**
     * Saves the network with DL4J's {@code ModelSerializer} (a zip DL4J's
     * {@code restoreMultiLayerNetwork} or {@code restoreComputationGraph} reads), without updater state.
     *
     * @throws java.io.IOException if the file cannot be written
     */
    public void save(java.nio.file.Path file) throws java.io.IOException {
        org.deeplearning4j.util.ModelSerializer.writeModel(model(), file.toFile(), false);
    }

    /** The loss of the last {@link #fit} (mean over its batch, with regularization). */
    public double score() {
        return layers != null ? layers.score() : graph.score();
    }

    /**
     * Inference: the network's outputs (test mode: no dropout, running BatchNorm statistics). Given
     * one array of fedge's rows {@code [n, F]} for a network that needs them cut or reshaped, it lays
     * them out ({@link #layout()}) and answers with rows too (a sequence output read at its last
     * time step); arrays already in the network's shapes, one per input, go in as they are.
     */
    public INDArray[] output(INDArray... inputs) {
        if (inputs.length == 1 && inputs[0].rank() == 2 && layout.reshapes()) {
            INDArray[] raw = rawOutput(layout.inputs(inputs[0]));
            raw[0] = layout.outputRows(raw[0]);
            return raw;
        }
        INDArray[] raw = rawOutput(inputs);
        if (inputs.length == 1 && inputs[0].rank() == 2) {
            raw[0] = layout.outputRows(raw[0]);
        }
        return raw;
    }

    private INDArray[] rawOutput(INDArray... inputs) {
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
            if (lean != null) {
                lean.resetUpdaterState();
            }
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
