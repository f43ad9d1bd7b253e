/**
 * Models: the global model payload ({@link io.fedge.core.model.GlobalModel}), DL4J networks of
 * either kind behind fedge's operations ({@link io.fedge.core.model.Network}, with
 * {@link io.fedge.core.model.RowLayout} mapping fedge's flat rows onto their inputs), where a
 * federation's model comes from (presets, {@link io.fedge.core.model.ModelProvider}s found by
 * name, configuration JSON files: {@link io.fedge.core.model.ModelSource}), model files and
 * evaluation.
 */
package io.fedge.core.model;
