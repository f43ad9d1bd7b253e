package io.fedge.core.model.lean;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer of the lean path: a forward pass that keeps what its backward needs, in buffers
 * allocated once, and a backward pass that writes the layer's parameter gradients (summed over
 * the batch, as DL4J's listeners and updater see them) into views of the network's flat gradient.
 */
interface LeanLayer {
    /**
     * The layer's output for {@code n} examples of {@code input} (the previous layer's output, or
     * the features); the array is this layer's and stays valid until its next forward.
     */
    INDArray forward(INDArray input, int n);

    /**
     * Where the layer above writes the gradient of the loss with respect to this layer's output:
     * an array shaped as {@link #forward}'s, for the same {@code n}.
     */
    INDArray outputGradient(int n);

    /**
     * Back-propagates the gradient in {@link #outputGradient} (or, for the output layer, the
     * loss's): writes this layer's parameter gradients and, unless {@code below} is null, the
     * gradient with respect to this layer's input into {@code below}.
     */
    void backward(INDArray below);

    /** A short description for the log: {@code dense 784->200 relu}. */
    String describe();
}
