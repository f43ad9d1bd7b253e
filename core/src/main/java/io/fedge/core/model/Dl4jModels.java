package io.fedge.core.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

/**
 * Moves parameters between fedge's flat float vectors and DL4J networks, with DL4J's native layer
 * helpers switched on ({@link Dl4jHelpers}, as {@link Network#fromJson} does too). {@link #network}
 * and {@link #initialModel(String)} take either kind of network; the {@code MultiLayerNetwork}
 * methods serve code that handles layer stacks only. Stateless.
 */
public final class Dl4jModels {
    static {
        Dl4jHelpers.enable();
    }

    private Dl4jModels() {
    }

    /** A freshly initialised layer stack for a {@code MultiLayerConfiguration} JSON; {@link Network#fromJson} takes either kind. */
    public static MultiLayerNetwork instantiate(String configJson) {
        MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(configJson));
        net.init();
        return net;
    }

    /** Version 0 of a federation: a configuration with its seeded initial parameters. */
    public static GlobalModel initialModel(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return new GlobalModel(0, conf.toJson(), parameters(net));
    }

    /** A copy of the network's parameters as one flat vector. */
    public static float[] parameters(MultiLayerNetwork net) {
        return net.params().toFloatVector();
    }

    /**
     * Overwrites the network's parameters.
     *
     * @throws FedgeException with {@link ErrorCode#SHAPE_MISMATCH} if the lengths differ
     */
    public static void setParameters(MultiLayerNetwork net, float[] params) {
        INDArray current = net.params();
        if (current.length() != params.length) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH,
                    "network has " + current.length() + " parameters, got " + params.length);
        }
        current.assign(Nd4j.createFromArray(params).reshape(current.shape()));
    }

    /** Version 0 of a federation whose model is a graph: the configuration with its seeded initial parameters. */
    public static GlobalModel initialModel(org.deeplearning4j.nn.conf.ComputationGraphConfiguration conf) {
        return new GlobalModel(0, conf.toJson(), Network.fromJson(conf.toJson()).parameters());
    }

    /**
     * Version 0 of a federation for a DL4J configuration JSON of either kind (a layer stack or a
     * graph), with the seeded initial parameters the configuration gives.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if DL4J cannot read it
     */
    public static GlobalModel initialModel(String configJson) {
        Network net = Network.fromJson(configJson);
        return new GlobalModel(0, net.configJson(), net.parameters());
    }

    /** A network of either kind with the model's architecture and parameters. */
    public static Network network(GlobalModel model) {
        Network net = Network.fromJson(model.configJson());
        net.setParameters(model.parameters());
        return net;
    }

    /** A network with the model's architecture and parameters. */
    public static MultiLayerNetwork instantiate(GlobalModel model) {
        MultiLayerNetwork net = instantiate(model.configJson());
        setParameters(net, model.parameters());
        return net;
    }
}
