package io.fedge.coordinator;

import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;

/**
 * Evaluates each new global model on data the coordinator holds (Flower's server-side
 * {@code evaluate}). Called from the coordinator's round thread only.
 */
@FunctionalInterface
public interface ServerEvaluator {
    Evaluation evaluate(GlobalModel model);
}
