/**
 * The edge model: fedge's signed int8 format ({@link io.fedge.edge.EdgeModel}) and a pure-Java
 * inference engine for it, with no dependency beyond the JDK, for devices that only infer. Layers:
 * dense (also stored sparse), 2-D convolutions of any kernel, stride and zero padding, max,
 * average and global pooling, and residual blocks; activations identity, ReLU, leaky ReLU, tanh,
 * sigmoid. {@link io.fedge.edge.EdgeModelFetcher} fetches the newest model a coordinator serves.
 */
package io.fedge.edge;
