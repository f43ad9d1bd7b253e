/**
 * The embeddable fedge client: connects to a coordinator, receives the global model (whose
 * architecture travels with it, so a device needs no model code), trains it on local data that
 * never leaves the device, and streams back the encoded update. Entry point:
 * {@link io.fedge.client.FederatedClient#builder()}.
 */
package io.fedge.client;
