package io.fedge.export;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A student's two heads: the inference configuration ends in an {@code OutputLayer} with softmax;
 * the training one is the same network whose output layer emits the logits into
 * {@link DistillationLoss}. Both have the same parameters, so a trained network's parameters
 * initialise the inference one. Stateless.
 */
final class DistillationHead {
    private DistillationHead() {
    }

    /**
     * Checks that {@code inference} ends in an {@code OutputLayer} with softmax.
     *
     * @throws IllegalArgumentException naming {@code what} and the last layer if it does not
     */
    static void check(MultiLayerConfiguration inference, String what) {
        int last = inference.getConfs().size() - 1;
        Layer layer = inference.getConf(last).getLayer();
        if (!(layer instanceof OutputLayer o) || !(o.getActivationFn() instanceof ActivationSoftmax)) {
            throw new IllegalArgumentException(what + " must end in an OutputLayer with softmax activation (fedge "
                    + "trains its logits against the teacher's probabilities); its layer " + last + " is "
                    + layer.getClass().getSimpleName() + (layer instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b
                    ? " with " + b.getActivationFn() : ""));
        }
    }

    /** A copy of {@code inference} whose output layer has identity activation and {@code loss}. */
    static MultiLayerConfiguration training(MultiLayerConfiguration inference, ILossFunction loss) {
        check(inference, "a student");
        MultiLayerConfiguration copy = MultiLayerConfiguration.fromJson(inference.toJson());
        OutputLayer out = (OutputLayer) copy.getConf(copy.getConfs().size() - 1).getLayer();
        out.setActivationFn(new ActivationIdentity());
        out.setLossFn(loss);
        return copy;
    }
}
