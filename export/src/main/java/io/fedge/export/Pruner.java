package io.fedge.export;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/** Makes a distilled student smaller, then fine-tunes it on the transfer set against the teacher. */
public interface Pruner {
    /** The pruned, fine-tuned student (softmax output) of preset {@code name}. */
    MultiLayerNetwork prune(MultiLayerNetwork student, String name, MultiLayerNetwork teacher, DataSet transfer);

    /** How it prunes, for the edge model's metadata. */
    String describe();
}
