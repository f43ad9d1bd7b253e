/**
 * Byzantine-robust aggregation: rules that need every update of a round on its own
 * ({@link io.fedge.aggregation.robust.CoordinateMedian}, {@link io.fedge.aggregation.robust.TrimmedMean},
 * {@link io.fedge.aggregation.robust.Krum} and Multi-Krum, {@link io.fedge.aggregation.robust.Bulyan}),
 * computed block by block over an {@link io.fedge.aggregation.robust.UpdateStore} that keeps a
 * budget of updates on the heap and spills the rest to memory-mapped files; and
 * {@link io.fedge.aggregation.robust.NormBounding}, which streams. The strategies
 * ({@code median}, {@code trimmedmean}, {@code krum}, {@code multikrum}, {@code bulyan},
 * {@code normbound}) are made by name through {@link io.fedge.aggregation.Strategies}.
 */
package io.fedge.aggregation.robust;
