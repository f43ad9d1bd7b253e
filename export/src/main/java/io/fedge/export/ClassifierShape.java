package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a classifier reads and predicts: the shape of one example as fedge's data sets hold it
 * (a flat, channel-first row) and the number of classes. A student must have its teacher's.
 *
 * @param input one example
 * @param classes the width of the network's (first) output, at least 2
 */
public record ClassifierShape(InputShape input, int classes) {
    public ClassifierShape {
        Objects.requireNonNull(input, "input");
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier predicts at least 2 classes, this one " + classes);
        }
    }

    /**
     * The shape of a network of either kind: the input from its configuration (a flat input type:
     * {@code InputType.feedForward(n)} or {@code InputType.convolutionalFlat(h, w, c)}), the
     * classes from the width of its output on one example.
     *
     * @throws IllegalArgumentException if the network does not read flat rows (it takes 4-D images,
     *     or several inputs), or its output is not one row of at least 2 classes
     */
    public static ClassifierShape of(Network net) {
        InputShape input = inputOf(net);
        INDArray out = net.output(Nd4j.zeros(DataType.FLOAT, 1, input.size()))[0];
        if (out.rank() != 2) {
            throw new IllegalArgumentException("the network's output has rank " + out.rank() + "; a classifier's is "
                    + "[examples, classes]");
        }
        long classes = out.size(1);
        if (classes < 2) {
            throw new IllegalArgumentException("the network has " + classes + " output; a classifier here has a softmax "
                    + "over at least 2 classes");
        }
        return new ClassifierShape(input, (int) classes);
    }

    /**
     * This shape, with the input as the data hold it: a teacher that reads a flat vector may be fed
     * images of as many values (an MLP on pixels), and then students see those images (a
     * convolutional one can be distilled) and the edge model records them.
     *
     * @param data one example as the data set holds it; null: as the network reads it
     * @throws IllegalArgumentException if the data do not have as many values as the network reads,
     *     or are images of another shape than the network's
     */
    public ClassifierShape withData(InputShape data) {
        if (data == null || data.equals(input)) {
            return this;
        }
        if (data.size() != input.size() || input instanceof InputShape.Image && data instanceof InputShape.Image) {
            throw new IllegalArgumentException("the data are " + describe(data) + ", the teacher reads " + describe(input));
        }
        return data instanceof InputShape.Image ? new ClassifierShape(data, classes) : this;
    }

    /**
     * Whether a student of shape {@code student} can stand in for a network of this shape: the same
     * classes, as many input values, and the same image if both read images (a student may read
     * an image as a flat vector, as an MLP does).
     */
    public boolean admits(ClassifierShape student) {
        return student.classes == classes && student.input.size() == input.size()
                && (!(student.input instanceof InputShape.Image && input instanceof InputShape.Image)
                || student.input.equals(input));
    }

    private static String describe(InputShape s) {
        return s instanceof InputShape.Image ? s + " images (" + s.size() + " values)" : "vectors of " + s + " values";
    }

    /** The input shape alone, from the configuration (see {@link #of}). */
    static InputShape inputOf(Network net) {
        if (net.kind() == Network.Kind.LAYERS) {
            MultiLayerConfiguration conf = net.layers().getLayerWiseConfigurations();
            int i = 0;
            while (i < conf.getConfs().size() - 1 && conf.getInputPreProcess(i) == null
                    && shapeless(conf.getConf(i).getLayer())) {
                i++; // dropout and activation layers keep what they read and do not state it
            }
            return fromFirstLayer(conf.getConf(i).getLayer(), conf.getInputPreProcess(i), "layer " + i);
        }
        ComputationGraphConfiguration conf = net.graph().getConfiguration();
        List<String> inputs = conf.getNetworkInputs();
        if (inputs.size() != 1) {
            throw new IllegalArgumentException("the graph takes " + inputs.size() + " inputs " + inputs
                    + "; fedge's data give one row per example");
        }
        String input = inputs.get(0);
        InputShape found = null;
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            if (!e.getValue().contains(input)) {
                continue;
            }
            InputShape s = fromVertex(conf.getVertices().get(e.getKey()), e.getKey());
            if (s != null && found != null && !s.equals(found)) {
                throw new IllegalArgumentException("vertices reading input '" + input + "' disagree on its shape: "
                        + found + " and " + s);
            }
            found = s != null ? s : found;
        }
        if (found == null) {
            throw new IllegalArgumentException("cannot tell the shape of input '" + input + "' from the vertices that "
                    + "read it; give the graph a flat input type (setInputTypes(InputType.feedForward(n)) or "
                    + "InputType.convolutionalFlat(h, w, c)) so its first layer states it");
        }
        return found;
    }

    private static boolean shapeless(Layer layer) {
        return layer instanceof org.deeplearning4j.nn.conf.layers.DropoutLayer
                || layer instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer;
    }

    private static InputShape fromVertex(GraphVertex v, String name) {
        if (v instanceof LayerVertex lv) {
            return fromFirstLayer(lv.getLayerConf().getLayer(), lv.getPreProcessor(), "vertex '" + name + "'");
        }
        if (v instanceof PreprocessorVertex pv && pv.getPreProcessor() instanceof FeedForwardToCnnPreProcessor p) {
            return image(p);
        }
        return null;
    }

    private static InputShape fromFirstLayer(Layer layer, InputPreProcessor pre, String where) {
        if (pre instanceof FeedForwardToCnnPreProcessor p) {
            return image(p);
        }
        if (pre != null) {
            throw new IllegalArgumentException(where + " reads its input through " + pre.getClass().getSimpleName()
                    + "; fedge's data are flat rows (vectors, or channel-first images)");
        }
        if (layer instanceof ConvolutionLayer) {
            throw new IllegalArgumentException(where + " is a convolution that reads 4-D images; fedge's data are flat "
                    + "rows: build the network with InputType.convolutionalFlat(height, width, channels)");
        }
        if (layer instanceof FeedForwardLayer f && f.getNIn() > 0) {
            return new InputShape.Vector(Math.toIntExact(f.getNIn()));
        }
        throw new IllegalArgumentException(where + " (" + layer.getClass().getSimpleName() + ") does not state how many "
                + "values it reads");
    }

    private static InputShape image(FeedForwardToCnnPreProcessor p) {
        return new InputShape.Image(Math.toIntExact(p.getNumChannels()), Math.toIntExact(p.getInputHeight()),
                Math.toIntExact(p.getInputWidth()));
    }

    @Override
    public String toString() {
        return "reads " + input + (input instanceof InputShape.Image ? " images" : " features") + ", predicts "
                + classes + " classes";
    }
}
