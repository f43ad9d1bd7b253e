package io.fedge.client;

import io.fedge.core.model.Evaluation;

import java.util.List;

/**
 * What a {@link FederatedClient} does with the tasks it receives. A device trains and evaluates on
 * its own data ({@link LocalTrainer}, what {@link FederatedClient.Builder#data} sets up); a gateway
 * hands each task to its site's devices and answers with their partial aggregate (fedge-gateway's
 * {@code SiteWork}). The client does the rest either way: the connection, the model download and
 * its checks, encoding, sealing, uploading, and what it keeps once an update is accepted.
 *
 * <p>Called on the client's training executor, one task at a time.
 */
public interface LocalWork {
    /** The examples a Hello declares, asked at every connection. */
    long declaredExamples();

    /** The protocol features a Hello announces (the training corrections this work supports, secure aggregation). */
    List<String> features();

    /**
     * Trains for {@code job}; the update's delta has {@code job.local().updateLength(...)} values.
     *
     * @throws io.fedge.core.FedgeException with the reason this client gives the coordinator for not delivering
     */
    LocalUpdate train(TrainingJob job) throws InterruptedException;

    /** Evaluates {@code job}'s model. */
    Evaluation evaluate(EvaluationJob job) throws InterruptedException;
}
