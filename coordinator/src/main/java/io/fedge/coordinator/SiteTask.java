package io.fedge.coordinator;

import io.fedge.core.LocalTraining;
import io.fedge.core.model.GlobalModel;

import java.util.Objects;

/**
 * What a gateway's site round trains: the upstream task as the gateway received it. Its devices
 * train {@code model} with these instructions and with the task's own {@code seed}, so each device
 * trains exactly as it would connected to the coordinator directly.
 *
 * @param round the upstream round
 * @param model the upstream model, with its version
 * @param deadlineUnixMs the upstream deadline; the site round ends early enough to send the aggregate up
 */
public record SiteTask(long round, GlobalModel model, int localEpochs, int batchSize, double learningRate,
                       LocalTraining local, long seed, long deadlineUnixMs) {
    public SiteTask {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(local, "local");
        if (local.scaffold()) {
            throw new IllegalArgumentException("SCAFFOLD does not run through a gateway: its control variates "
                    + "are per device, and the gateway's mean of them is not the coordinator's");
        }
    }
}
