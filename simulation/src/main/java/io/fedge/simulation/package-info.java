/**
 * Local federated simulation: many virtual clients, each a real
 * {@link io.fedge.client.FederatedClient}, against a real {@link io.fedge.coordinator.Coordinator}
 * over loopback TCP in one JVM, on a partitioned data set.
 */
package io.fedge.simulation;
