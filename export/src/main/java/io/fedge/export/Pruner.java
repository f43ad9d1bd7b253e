package io.fedge.export;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Makes a distilled student smaller, then fine-tunes it on the transfer set against the teacher. */
public interface Pruner {
    /**
     * The pruned, fine-tuned student (softmax output).
     *
     * @param student the distilled student
     * @param spec what it was built from
     * @param shape the teacher's (and so the student's) input shape and classes
     * @param features the transfer set
     * @param targets the distillation labels for it ({@link Distiller#targets})
     * @throws IllegalArgumentException if this pruner cannot prune that kind of student
     */
    MultiLayerNetwork prune(MultiLayerNetwork student, Student spec, ClassifierShape shape, INDArray features,
                            INDArray targets);

    /** How it prunes, for the edge model's metadata. */
    String describe();
}
