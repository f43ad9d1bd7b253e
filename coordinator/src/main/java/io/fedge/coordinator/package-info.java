/**
 * The fedge coordinator: a Netty server that registers clients, runs training rounds with a
 * {@link io.fedge.aggregation.Strategy}, folds streamed updates into the aggregate, evaluates
 * and publishes each new global model, and records a {@link io.fedge.coordinator.History}.
 * Entry point: {@link io.fedge.coordinator.Coordinator#builder()}.
 */
package io.fedge.coordinator;
