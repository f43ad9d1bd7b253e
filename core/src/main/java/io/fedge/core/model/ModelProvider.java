package io.fedge.core.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

import java.util.Objects;

/**
 * A model architecture on the class path, found by name ({@code fedge simulate --model NAME},
 * {@link ModelProviders}): a class that builds a DL4J configuration, a layer stack or a graph,
 * for the federation's data. Implementations are listed in
 * {@code META-INF/services/io.fedge.core.model.ModelProvider} and need a public no-argument
 * constructor; fedge ships {@code resnet} ({@link ResNetProvider}).
 *
 * <pre>{@code
 * public final class TinyCnn implements ModelProvider {
 *     public String name() { return "tinycnn"; }
 *     public String summary() { return "one 3x3 convolution, softmax"; }
 *     public Configuration configuration(InputShape shape, int classes, long seed, double lr) {
 *         return Configuration.of(new NeuralNetConfiguration.Builder().seed(seed).updater(new Sgd(lr)).list()
 *                 .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build())
 *                 .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(classes).activation(Activation.SOFTMAX).build())
 *                 .setInputType(shape.inputType()).build());
 *     }
 * }
 * }</pre>
 *
 * <p>Rows reach the network as {@link RowLayout} says: build image models on
 * {@code shape.inputType()} ({@code InputType.convolutionalFlat}) so that DL4J reads flat
 * channel-first rows. Local corrections (momentum, FedProx, SCAFFOLD) need plain {@code Sgd};
 * the coordinator sets the learning rate of every round. Implementations must be thread-safe
 * (they are usually stateless).
 */
public interface ModelProvider {
    /** The name {@code --model} takes: lower case, without spaces or colons. */
    String name();

    /** One line for {@code --help}: the architecture, and what data it takes. */
    String summary();

    /**
     * The configuration for examples of {@code shape} and {@code classes} classes (or regression
     * targets), with seeded initialisation and SGD at {@code learningRate}.
     *
     * @throws IllegalArgumentException if the architecture cannot take that shape (images too small, say)
     */
    Configuration configuration(InputShape shape, int classes, long seed, double learningRate);

    /**
     * A DL4J configuration of either kind, as JSON (the form {@link GlobalModel#configJson()} carries).
     *
     * @param kind which DL4J network it describes
     * @param json DL4J's JSON of it
     */
    record Configuration(Network.Kind kind, String json) {
        public Configuration {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(json, "json");
            if (Network.kindOf(json) != kind) {
                throw new IllegalArgumentException("the JSON describes a " + Network.kindOf(json) + " network, not "
                        + kind);
            }
        }

        /** A layer stack. */
        public static Configuration of(MultiLayerConfiguration conf) {
            return new Configuration(Network.Kind.LAYERS, conf.toJson());
        }

        /** A graph (residual, several inputs). */
        public static Configuration of(ComputationGraphConfiguration conf) {
            return new Configuration(Network.Kind.GRAPH, conf.toJson());
        }
    }
}
