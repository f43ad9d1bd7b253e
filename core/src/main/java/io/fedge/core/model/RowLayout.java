package io.fedge.core.model;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SpaceToBatchLayer;
import org.deeplearning4j.nn.conf.layers.SpaceToDepthLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling3DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToRnnPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.RnnToFeedForwardPreProcessor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How fedge's flat rows meet a network's arrays. fedge's data sets hold one row of {@code F}
 * values per example and one row of labels ({@code [n, C]}, one-hot or regression targets); a
 * network may take several inputs, images ({@code [n, c, h, w]}) or sequences ({@code [n, f, t]}),
 * and may answer with a sequence.
 *
 * <p><b>Inputs.</b> A row is cut into one consecutive piece per network input, in the order of
 * {@code getNetworkInputs()} (a layer stack has one input). Each piece's width comes from the
 * configuration: the {@code nIn} of the first layer consuming the input, or the height, width and
 * channels of its preprocessor ({@code InputType.convolutionalFlat} gives a
 * {@code FeedForwardToCnnPreProcessor}, and fedge's {@link RowsToImagePreProcessor} for NHWC layers); one input whose width the configuration does not fix takes
 * the rest of the row. A piece is then shaped as its input needs:
 * <ul>
 *   <li>flat (dense layers, {@code convolutionalFlat} inputs, which DL4J reshapes itself): as it is;
 *   <li>an image (an input of {@code InputType.convolutional(h, w, c)} feeding a dense layer through
 *       a {@code CnnToFeedForwardPreProcessor}): channel-first values {@code [c][h][w]}, reshaped to
 *       {@code [n, c, h, w]} (or {@code [n, h, w, c]} for an NHWC layer);
 *   <li>a sequence (an input feeding a recurrent layer, a 1D convolution, an {@code RnnOutputLayer}):
 *       time-major values {@code [t][f]} (all features of the first time step, then the next step's:
 *       PyTorch's {@code batch_first} {@code [n, t, f]} flattened), reshaped to {@code [n, f, t]}
 *       (or {@code [n, t, f]} for an NWC layer); {@code f} is the layer's {@code nIn} and
 *       {@code t} the piece's width divided by it.
 * </ul>
 * An input that goes straight into a convolution without a preprocessor is refused when the layout
 * is built: the configuration does not say the images' height and width.
 *
 * <p><b>Output.</b> A network answering with a sequence ({@code RnnOutputLayer}, {@code RnnLossLayer})
 * classifies the whole sequence at its last time step: labels {@code [n, C]} become
 * {@code [n, C, t]} with a label mask that keeps only the last step, and its outputs are read at
 * that step, {@code [n, C]}, as a network ending in {@code LastTimeStep} gives them. Networks with
 * more than one output are laid out for their first output only.
 *
 * <p>Immutable and thread-safe.
 */
public final class RowLayout {
    /** How one network input takes its piece of the row. */
    public enum Form {
        /** As it is: {@code [n, width]}. */
        FLAT,
        /** Reshaped to an image, {@code [n, c, h, w]} (or NHWC). */
        IMAGE,
        /** Reshaped to a sequence, {@code [n, f, t]} (or NWC). */
        SEQUENCE
    }

    /**
     * One network input.
     *
     * @param name the input's name ({@code "input"} for a layer stack)
     * @param form how its piece is shaped
     * @param width values per example, or -1 when the configuration does not fix it (the rest of the row)
     * @param channels an image's channels or a sequence's features per time step; 0 for flat inputs
     * @param height an image's height; 0 otherwise
     * @param imageWidth an image's width; 0 otherwise
     * @param channelsLast NHWC images, NWC sequences
     */
    public record Slot(String name, Form form, long width, long channels, long height, long imageWidth,
                       boolean channelsLast) {
        static Slot flat(String name, long width) {
            return new Slot(name, Form.FLAT, width, 0, 0, 0, false);
        }

        static Slot image(String name, long c, long h, long w, boolean channelsLast) {
            return new Slot(name, Form.IMAGE, c * h * w, c, h, w, channelsLast);
        }

        static Slot sequence(String name, long features, boolean channelsLast) {
            return new Slot(name, Form.SEQUENCE, -1, features, 0, 0, channelsLast);
        }

        @Override
        public String toString() {
            return switch (form) {
                case FLAT -> name + ": " + (width < 0 ? "the rest of the row" : width + " values");
                case IMAGE -> name + ": image " + channels + "x" + height + "x" + imageWidth;
                case SEQUENCE -> name + ": sequence of " + channels + " features per time step";
            };
        }
    }

    private final List<Slot> slots;
    /** The first output answers with a sequence. */
    private final boolean sequenceOutput;
    private final boolean sequenceOutputChannelsLast;

    private RowLayout(List<Slot> slots, boolean sequenceOutput, boolean sequenceOutputChannelsLast) {
        this.slots = List.copyOf(slots);
        this.sequenceOutput = sequenceOutput;
        this.sequenceOutputChannelsLast = sequenceOutputChannelsLast;
        int unknown = 0;
        for (Slot s : slots) {
            if (s.width() < 0) {
                unknown++;
            }
        }
        if (unknown > 1) {
            throw new FedgeException(ErrorCode.MALFORMED, "cannot tell how a row is split among the network's "
                    + "inputs " + slots + ": the configuration fixes the width of all inputs but one (a first layer "
                    + "with nIn, or an InputType.convolutionalFlat preprocessor)");
        }
    }

    /**
     * The layout of a layer stack.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if its first layer takes images without a
     *     preprocessor that reads flat rows, or input the layout cannot give
     */
    public static RowLayout of(MultiLayerConfiguration conf) {
        Layer first = conf.getConf(0).getLayer();
        Slot slot = derive("input", conf.getInputPreProcess(0), first, "layer 0" + named(first));
        Layer last = conf.getConf(conf.getConfs().size() - 1).getLayer();
        return new RowLayout(List.of(slot == null ? Slot.flat("input", -1) : slot), isSequenceOutput(last),
                sequenceChannelsLast(last));
    }

    /**
     * The layout of a graph.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if an input goes into a layer that takes
     *     images without a preprocessor, layers disagree on an input's width, or more than one
     *     input's width is open
     */
    public static RowLayout of(ComputationGraphConfiguration conf) {
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> inputsOf = conf.getVertexInputs();
        List<Slot> slots = new ArrayList<>();
        for (String input : conf.getNetworkInputs()) {
            Slot found = null;
            String foundBy = null;
            for (Map.Entry<String, List<String>> e : inputsOf.entrySet()) {
                if (!e.getValue().contains(input) || !(vertices.get(e.getKey()) instanceof LayerVertex lv)) {
                    continue;
                }
                String who = "layer '" + e.getKey() + "'";
                Slot s = derive(input, lv.getPreProcessor(), lv.getLayerConf().getLayer(), who);
                if (s == null) {
                    continue;
                }
                if (found != null && !found.equals(s)) {
                    throw new FedgeException(ErrorCode.MALFORMED, "input '" + input + "' is read as " + found + " by "
                            + foundBy + " but as " + s + " by " + who);
                }
                found = s;
                foundBy = who;
            }
            slots.add(found == null ? Slot.flat(input, -1) : found);
        }
        String out = conf.getNetworkOutputs().get(0);
        Layer last = vertices.get(out) instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
        return new RowLayout(slots, last != null && isSequenceOutput(last), last != null && sequenceChannelsLast(last));
    }

    private static String named(Layer layer) {
        return layer.getLayerName() == null ? "" : " ('" + layer.getLayerName() + "')";
    }

    /** How {@code layer} (behind {@code pre}, if any) reads input {@code input}; null when it does not fix it. */
    private static Slot derive(String input, InputPreProcessor pre, Layer layer, String who) {
        if (pre instanceof FeedForwardToCnnPreProcessor p) {
            return Slot.flat(input, p.getInputHeight() * p.getInputWidth() * p.getNumChannels());
        }
        if (pre instanceof RowsToImagePreProcessor p) {
            return Slot.flat(input, p.rowWidth()); // it reshapes the rows itself
        }
        if (pre instanceof CnnToFeedForwardPreProcessor p) {
            return Slot.image(input, p.getNumChannels(), p.getInputHeight(), p.getInputWidth(),
                    p.getFormat() == CNN2DFormat.NHWC);
        }
        if (pre instanceof RnnToFeedForwardPreProcessor p) {
            long f = nIn(layer);
            return f > 0 ? Slot.sequence(input, f, p.getRnnDataFormat() == RNNFormat.NWC) : null;
        }
        if (pre instanceof FeedForwardToRnnPreProcessor) {
            long f = nIn(layer);
            return f > 0 ? Slot.flat(input, f) : null; // one time step per example
        }
        if (pre != null) {
            return null; // another preprocessor: rows go to it as they are
        }
        Layer l = unwrap(layer);
        String what = who + " (" + l.getClass().getSimpleName() + ")";
        if (isVolumetric(l)) {
            throw new FedgeException(ErrorCode.MALFORMED, "input '" + input + "' goes into " + what + ", which takes "
                    + "3D volumes; fedge lays flat rows out as vectors, images and sequences only");
        }
        if (isSequential(l)) {
            long f = nIn(l);
            if (f <= 0) {
                throw new FedgeException(ErrorCode.MALFORMED, "input '" + input + "' goes into " + what + ", which "
                        + "takes sequences, but the configuration does not say how many features a time step has: "
                        + "give the layer nIn or declare InputType.recurrent(features, timeSteps)");
            }
            return Slot.sequence(input, f, channelsLast(l));
        }
        if (isSpatial(l)) {
            throw new FedgeException(ErrorCode.MALFORMED, "input '" + input + "' goes into " + what + ", which takes "
                    + "images [n, c, h, w], and the configuration does not say their height and width, so fedge "
                    + "cannot reshape flat rows: declare InputType.convolutionalFlat(h, w, c) (setInputType or "
                    + "setInputTypes) so that DL4J reads flat channel-first rows itself");
        }
        if (l instanceof EmbeddingSequenceLayer e) {
            return Slot.flat(input, e.getInputLength());
        }
        if (l instanceof EmbeddingLayer) {
            return Slot.flat(input, 1); // one index per example
        }
        long f = nIn(l);
        return f > 0 ? Slot.flat(input, f) : null;
    }

    private static Layer unwrap(Layer layer) {
        Layer l = layer;
        while (true) {
            if (l instanceof BaseWrapperLayer w) {
                l = w.getUnderlying();
            } else if (l instanceof Bidirectional b) {
                l = b.getFwd();
            } else {
                return l;
            }
        }
    }

    private static long nIn(Layer layer) {
        Layer l = unwrap(layer);
        return l instanceof FeedForwardLayer ff ? ff.getNIn() : 0;
    }

    private static boolean isVolumetric(Layer l) {
        String name = l.getClass().getSimpleName();
        return l instanceof Convolution3D || l instanceof Subsampling3DLayer || name.endsWith("3D")
                || name.equals("ZeroPadding3DLayer") || name.equals("Cnn3DLossLayer");
    }

    private static boolean isSequential(Layer l) {
        String name = l.getClass().getSimpleName();
        return l instanceof BaseRecurrentLayer || l instanceof Convolution1DLayer || l instanceof Subsampling1DLayer
                || l instanceof RnnOutputLayer || l instanceof RnnLossLayer || name.equals("Upsampling1D")
                || name.equals("ZeroPadding1DLayer") || name.equals("Cropping1D") || name.equals("LocallyConnected1D");
    }

    private static boolean isSpatial(Layer l) {
        return l instanceof ConvolutionLayer || l instanceof SubsamplingLayer || l instanceof Upsampling2D
                || l instanceof ZeroPaddingLayer || l instanceof Cropping2D || l instanceof SpaceToDepthLayer
                || l instanceof SpaceToBatchLayer || l instanceof LocalResponseNormalization || l instanceof CnnLossLayer
                || l.getClass().getSimpleName().equals("LocallyConnected2D");
    }

    private static boolean channelsLast(Layer l) {
        if (l instanceof BaseRecurrentLayer r) {
            return r.getRnnDataFormat() == RNNFormat.NWC;
        }
        if (l instanceof Convolution1DLayer c) {
            return c.getRnnDataFormat() == RNNFormat.NWC;
        }
        return sequenceChannelsLast(l);
    }

    private static boolean isSequenceOutput(Layer l) {
        return l instanceof RnnOutputLayer || l instanceof RnnLossLayer;
    }

    private static boolean sequenceChannelsLast(Layer l) {
        if (l instanceof RnnOutputLayer r) {
            return r.getRnnDataFormat() == RNNFormat.NWC;
        }
        if (l instanceof RnnLossLayer r) {
            return r.getRnnDataFormat() == RNNFormat.NWC;
        }
        return false;
    }

    /** The network's inputs, in the order their pieces appear in a row. */
    public List<Slot> slots() {
        return slots;
    }

    /** Whether the (first) output answers with a sequence, read at its last time step. */
    public boolean sequenceOutput() {
        return sequenceOutput;
    }

    /** Whether rows must be cut or reshaped at all (false: a single flat input takes them as they are). */
    public boolean reshapes() {
        return slots.size() > 1 || slots.get(0).form() != Form.FLAT;
    }

    /**
     * The width of each input's piece of a row of {@code rowWidth} values.
     *
     * @throws IllegalArgumentException if the row is not as wide as the inputs take, or a sequence's
     *     piece is not a whole number of time steps
     */
    public long[] widths(long rowWidth) {
        long known = 0;
        int open = -1;
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).width() < 0) {
                open = i;
            } else {
                known += slots.get(i).width();
            }
        }
        long[] w = new long[slots.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = slots.get(i).width();
        }
        if (open < 0) {
            if (known != rowWidth) {
                throw new IllegalArgumentException("the model takes " + known + " values per example (" + describe()
                        + "), the data have " + rowWidth);
            }
            return w;
        }
        long rest = rowWidth - known;
        Slot s = slots.get(open);
        if (rest <= 0 || (s.form() == Form.SEQUENCE && rest % s.channels() != 0)) {
            throw new IllegalArgumentException("the data's " + rowWidth + " values per example do not fit the model's "
                    + "inputs (" + describe() + "): " + rest + " left for " + s.name()
                    + (s.form() == Form.SEQUENCE ? ", which needs a positive multiple of " + s.channels() : ""));
        }
        w[open] = rest;
        return w;
    }

    /**
     * The network's input arrays for a batch of rows {@code [n, F]}: pieces cut and shaped as above.
     *
     * @throws IllegalArgumentException if the rows do not fit ({@link #widths})
     */
    public INDArray[] inputs(INDArray rows) {
        if (rows.rank() != 2) {
            throw new IllegalArgumentException("features must be rows [n, F], got shape "
                    + java.util.Arrays.toString(rows.shape()));
        }
        long[] w = widths(rows.columns());
        INDArray[] out = new INDArray[slots.size()];
        long n = rows.rows();
        long from = 0;
        for (int i = 0; i < out.length; i++) {
            Slot s = slots.get(i);
            INDArray piece = out.length == 1 ? rows
                    : rows.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + w[i]));
            from += w[i];
            out[i] = switch (s.form()) {
                case FLAT -> out.length == 1 ? piece : piece.dup('c');
                case IMAGE -> {
                    INDArray img = piece.dup('c').reshape('c', n, s.channels(), s.height(), s.imageWidth());
                    yield s.channelsLast() ? img.permute(0, 2, 3, 1).dup('c') : img;
                }
                case SEQUENCE -> {
                    INDArray seq = piece.dup('c').reshape('c', n, w[i] / s.channels(), s.channels()); // [n, t, f]
                    yield s.channelsLast() ? seq : seq.permute(0, 2, 1).dup('c');
                }
            };
        }
        return out;
    }

    /**
     * The time steps of the sequence the network reads for rows of {@code rowWidth}: that of its
     * first sequence input, 1 without one.
     */
    public long timeSteps(long rowWidth) {
        long[] w = widths(rowWidth);
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).form() == Form.SEQUENCE) {
                return w[i] / slots.get(i).channels();
            }
        }
        return 1;
    }

    /**
     * The labels and label mask for a sequence output of {@code timeSteps} steps: {@code labels} at the
     * last step, zeros elsewhere, and a mask {@code [n, t]} keeping only that step. For another
     * output, {@code labels} and no mask.
     *
     * @return {labels, mask or null}
     */
    public INDArray[] labels(INDArray labels, long timeSteps) {
        if (!sequenceOutput) {
            return new INDArray[] {labels, null};
        }
        long n = labels.rows();
        long c = labels.columns();
        INDArray seq = sequenceOutputChannelsLast ? Nd4j.zeros(labels.dataType(), n, timeSteps, c)
                : Nd4j.zeros(labels.dataType(), n, c, timeSteps);
        if (sequenceOutputChannelsLast) {
            seq.get(NDArrayIndex.all(), NDArrayIndex.point(timeSteps - 1), NDArrayIndex.all()).assign(labels);
        } else {
            seq.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(timeSteps - 1)).assign(labels);
        }
        INDArray mask = Nd4j.zeros(labels.dataType(), n, timeSteps);
        mask.getColumn(timeSteps - 1).assign(1);
        return new INDArray[] {seq, mask};
    }

    /** The first output as rows {@code [n, C]}: a sequence output read at its last time step. */
    public INDArray outputRows(INDArray output) {
        if (!sequenceOutput || output.rank() != 3) {
            return output;
        }
        long last = sequenceOutputChannelsLast ? output.size(1) - 1 : output.size(2) - 1;
        return sequenceOutputChannelsLast
                ? output.get(NDArrayIndex.all(), NDArrayIndex.point(last), NDArrayIndex.all()).dup()
                : output.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(last)).dup();
    }

    /** The inputs in words, for messages. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        for (Slot s : slots) {
            parts.add(s.toString());
        }
        return String.join("; ", parts);
    }

    @Override
    public String toString() {
        return describe();
    }
}
