/**
 * From a global model to an edge model: a student ({@link io.fedge.export.Student}: a preset
 * built for the teacher's input shape and classes, a configuration file, or the teacher itself)
 * distilled from the teacher ({@link io.fedge.export.Distiller}), optionally pruned, lowered and
 * quantized to int8 ({@link io.fedge.export.EdgeQuantizer}: BatchNorm folded, activations fused,
 * residual blocks of a ComputationGraph kept), and written in the signed edge format and as ONNX
 * ({@link io.fedge.export.OnnxExporter}); {@link io.fedge.export.EdgeExport} does it all.
 */
package io.fedge.export;
