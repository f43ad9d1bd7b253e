package io.fedge.core.model.lean;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * fedge's lean training path for a DL4J layer stack: the same step as
 * {@code MultiLayerNetwork.fit(DataSet)} with plain SGD (forward, loss, backward, the listeners'
 * {@code onGradientCalculation}, then {@code w -= lr g / B}), computed on buffers allocated once
 * per network, with one native call per matrix product and the element-wise work in Java, instead
 * of DL4J's per-layer workspaces, shape checks and native calls per operation. DL4J's
 * configuration stays the model's description and its parameters the network's: the lean path
 * reads and writes the {@code MultiLayerNetwork}'s own flat parameter vector, so inference,
 * saving and fedge's parameter exchange see every step.
 *
 * <p>{@link #plan} says whether a network can take it ({@link LeanPlanner}); one that cannot keeps
 * DL4J's {@code fit}, with the reason. {@value #PROPERTY}{@code =dl4j} keeps DL4J's for every
 * network.
 *
 * <p>What a listener sees matches DL4J's loop: in {@code onGradientCalculation}, the flattened
 * gradient ({@link #gradient()}) summed over the minibatch, which the listener may rewrite; the
 * step divides it by the batch size (when the configuration is {@code miniBatch}, DL4J's default)
 * and multiplies it by each parameter's learning rate; then {@code iterationDone}.
 *
 * <p>Not thread-safe, as the network it trains.
 */
public final class LeanNetwork {
    /** {@code lean} (the default) or {@code dl4j}. */
    public static final String PROPERTY = "fedge.training";

    private final MultiLayerNetwork net;
    private final List<LeanLayer> layers;
    private final LeanDense output;
    private final long inputWidth;
    private final INDArray gradient;
    private final INDArray parameters;
    private final List<Span> spans;
    private final java.nio.FloatBuffer parametersHost;
    private final java.nio.FloatBuffer gradientHost;
    private final float[] scratchG;
    private final float[] scratchW;
    private float[] labels = new float[0];
    private int batch;

    /** A network's training path: the lean one, or DL4J's with the reason. */
    public record Plan(LeanNetwork network, String reason) {
        /** Whether the network trains on the lean path. */
        public boolean lean() {
            return network != null;
        }

        /** One line for the log. */
        public String describe() {
            return network != null ? "lean training path: " + network.describe() : "DL4J's fit: " + reason;
        }
    }

    private LeanNetwork(MultiLayerNetwork net, List<LeanLayer> layers, INDArray gradient, long inputWidth) {
        this.net = net;
        this.inputWidth = inputWidth;
        this.layers = layers;
        this.output = (LeanDense) layers.get(layers.size() - 1);
        this.gradient = gradient;
        this.parameters = net.params();
        this.spans = spans(net, gradient);
        this.parametersHost = HostFloats.buffer(parameters);
        this.gradientHost = HostFloats.buffer(gradient);
        int longest = spans.stream().mapToInt(Span::length).max().orElse(0);
        this.scratchG = new float[longest];
        this.scratchW = new float[longest];
    }

    /**
     * The training path for {@code net}, an initialised layer stack.
     *
     * @throws IllegalArgumentException if {@value #PROPERTY} is set to something other than {@code lean} or {@code dl4j}
     */
    public static Plan plan(MultiLayerNetwork net) {
        if (!enabled()) {
            return new Plan(null, PROPERTY + "=dl4j");
        }
        LeanPlanner.Result r = LeanPlanner.plan(net);
        if (r.layers() == null) {
            return new Plan(null, r.reason());
        }
        return new Plan(new LeanNetwork(net, r.layers(), r.gradient(), r.inputWidth()), null);
    }

    /**
     * Whether {@value #PROPERTY} leaves the lean path on (unset or {@code lean}) rather than off ({@code dl4j}).
     *
     * @throws IllegalArgumentException naming the property and its values if it is set to anything else
     */
    public static boolean enabled() {
        String mode = System.getProperty(PROPERTY, "lean").strip().toLowerCase(Locale.ROOT);
        if (!mode.equals("lean") && !mode.equals("dl4j")) {
            throw new IllegalArgumentException("-D" + PROPERTY + " is '" + System.getProperty(PROPERTY)
                    + "', expected lean or dl4j");
        }
        return mode.equals("lean");
    }

    /** The layers, for the log: {@code dense 784->200 relu, dense 200->200 relu, output 200->10 softmax/mcxent}. */
    public String describe() {
        return layers.stream().map(LeanLayer::describe).collect(Collectors.joining(", "));
    }

    /**
     * One SGD step on a batch: {@code features} {@code [n, F]} and {@code labels} {@code [n, C]},
     * rows of any strides (row ranges of a data set's matrices). Sets the network's score (the
     * batch's mean loss) and advances its iteration count, as DL4J's {@code fit} does.
     *
     * @throws IllegalArgumentException if the shapes do not fit the network
     */
    public void fit(INDArray features, INDArray labels) {
        int n = (int) features.rows();
        if (features.rank() != 2 || features.columns() != inputWidth || labels.rank() != 2
                || labels.rows() != n || labels.columns() != output.outputs() || n == 0) {
            throw new IllegalArgumentException("the network takes [n, " + inputWidth + "] features and [n, "
                    + output.outputs() + "] labels, got " + java.util.Arrays.toString(features.shape()) + " and "
                    + java.util.Arrays.toString(labels.shape()));
        }
        batch = n;
        INDArray x = features;
        for (LeanLayer layer : layers) {
            x = layer.forward(x, n);
        }
        int classes = output.outputs();
        if (this.labels.length < n * classes) {
            this.labels = new float[n * classes];
        }
        HostFloats.readRows(labels, this.labels);
        double score = output.loss(this.labels);
        for (int i = layers.size() - 1; i >= 0; i--) {
            layers.get(i).backward(i > 0 ? layers.get(i - 1).outputGradient(n) : null);
        }
        net.setScore(score);
        Collection<TrainingListener> listeners = net.getListeners();
        if (listeners != null) {
            for (TrainingListener l : listeners) {
                l.onGradientCalculation(net);
            }
        }
        step(n);
        int iteration = net.getIterationCount();
        net.setIterationCount(iteration + 1);
        if (listeners != null) {
            for (TrainingListener l : listeners) {
                l.iterationDone(net, iteration, net.getEpochCount());
            }
        }
    }

    /**
     * The updaters' step on the (listener-corrected) summed gradient: one BLAS axpy for the whole
     * vector when every parameter trains by plain SGD at one learning rate, else per parameter array.
     */
    private void step(int n) {
        double divisor = net.conf().isMiniBatch() ? n : 1;
        double lr = Double.NaN;
        boolean one = true;
        for (Span span : spans) {
            double r = span.updater.learningRate();
            one &= span.updater.plain() && span.divided && (Double.isNaN(lr) || r == lr);
            lr = r;
        }
        if (one) {
            Nd4j.getBlasWrapper().level1().axpy(parameters.length(), -lr / divisor, gradient, parameters);
            return;
        }
        int iteration = net.getIterationCount();
        for (Span span : spans) {
            double d = span.divided ? divisor : 1; // BatchNorm's running statistics are not divided
            if (span.updater.plain()) {
                Nd4j.getBlasWrapper().level1().axpy(span.parameters.length(), -span.updater.learningRate() / d,
                        span.gradient, span.parameters);
            } else {
                span.updater.step(parametersHost, gradientHost, span.at, span.length, d, iteration, scratchG,
                        scratchW);
            }
        }
    }

    /** Forgets the updaters' state (Adam's moments, Nesterovs' velocity): the next step starts afresh. */
    public void resetUpdaterState() {
        for (Span span : spans) {
            span.updater.reset();
        }
    }

    /**
     * One parameter array of one layer: where it is in the flat vectors, its views there, its
     * updater, and whether its gradient is divided by the batch size (DL4J's
     * {@code updaterDivideByMinibatch}: all but BatchNorm's running statistics).
     */
    private record Span(int at, int length, INDArray parameters, INDArray gradient, LeanUpdater updater,
                        boolean divided) {
    }

    private static List<Span> spans(MultiLayerNetwork net, INDArray gradient) {
        INDArray flat = net.params();
        INDArray params1d = flat.reshape(flat.length());
        INDArray gradient1d = gradient.reshape(gradient.length());
        List<Span> spans = new java.util.ArrayList<>();
        for (Layer layer : net.getLayers()) {
            for (java.util.Map.Entry<String, INDArray> p : layer.paramTable(false).entrySet()) {
                int at = Math.toIntExact(p.getValue().offset() - flat.offset());
                int length = Math.toIntExact(p.getValue().length());
                String name = p.getKey();
                LeanUpdater updater = LeanUpdater.of(() -> layer.conf().getLayer().getUpdaterByParam(name), length);
                if (updater == null) {
                    throw new IllegalStateException("no lean updater for " + name + " of layer " + layer.getIndex());
                }
                spans.add(new Span(at, length, params1d.get(NDArrayIndex.interval(at, at + length)),
                        gradient1d.get(NDArrayIndex.interval(at, at + length)), updater,
                        layer.updaterDivideByMinibatch(name)));
            }
        }
        return List.copyOf(spans);
    }

    /** The flattened gradient ({@code [1, P]}, DL4J's order), summed over the batch until the step. */
    public INDArray gradient() {
        return gradient;
    }

    /** The number of examples of the batch being trained on. */
    public int batchSize() {
        return batch;
    }
}
