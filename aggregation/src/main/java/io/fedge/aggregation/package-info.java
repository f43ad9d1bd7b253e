/**
 * Aggregation strategies in the spirit of Flower's: a {@link io.fedge.aggregation.Strategy}
 * decides which clients train with which instructions and how their updates become the next
 * model, and nothing about transport. Updates are folded in chunk by chunk as they are
 * accepted, so memory stays O(model size) whatever the number of clients. The arithmetic lives
 * in small, separately tested classes ({@link io.fedge.aggregation.WeightedMean}).
 */
package io.fedge.aggregation;
