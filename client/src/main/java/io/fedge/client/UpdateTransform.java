package io.fedge.client;

/**
 * A hook for simulations and robustness tests: rewrites the update a client sends, after local
 * training and before the update is encoded, masked or sealed, so everything after it (codec,
 * error feedback, secure aggregation, sealing, the upload protocol) is the real pipeline. A
 * dishonest client is a client with a transform: one that scales its update, fills it with NaN
 * or claims more examples than it trained on ({@link LocalUpdate#numExamples()} is what its
 * {@code TrainResult} claims).
 *
 * <p>Devices have no use for it. Runs on the training executor; must not keep the array it is
 * given beyond the call unless it returns it.
 */
@FunctionalInterface
public interface UpdateTransform {
    /**
     * The update to send for training round {@code round} instead of {@code trained}.
     *
     * @throws io.fedge.core.FedgeException to refuse the task instead: the coordinator is told at
     *     once that this client fails the round, with the exception's code and message
     */
    LocalUpdate apply(long round, LocalUpdate trained);
}
