package io.fedge.client;

import java.util.Arrays;

/**
 * One copy of each global model for the many clients of one process (a simulation, a swarm): a
 * client that has downloaded and verified a model hands it here and keeps the copy already held
 * when the bytes are the same, so that 5,000 clients queued for a training thread hold one model,
 * not 5,000 (fedge's own {@code mlp}: 0.8 MB each, 4 GB together). Each client still downloads
 * and verifies its own copy; only the bytes kept afterwards are shared. A device runs one client
 * and needs none of this.
 *
 * <p>Payloads are never written to after a download completes, so sharing them is safe.
 * Thread-safe; the last distinct payload is the one kept.
 */
public final class SharedModels {
    private byte[] held;
    private long shared;

    /** The payload to keep for {@code payload}: the held copy when equal, else {@code payload}. */
    synchronized byte[] canonical(byte[] payload) {
        if (held != null && held.length == payload.length && Arrays.equals(held, payload)) {
            shared++;
            return held;
        }
        held = payload;
        return payload;
    }

    /** Downloads that ended up keeping the copy already held. */
    public synchronized long sharedDownloads() {
        return shared;
    }
}
