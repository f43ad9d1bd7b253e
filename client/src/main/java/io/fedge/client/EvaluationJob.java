package io.fedge.client;

import io.fedge.core.model.GlobalModel;

/**
 * One evaluation task as {@link LocalWork} receives it.
 *
 * @param keptBatchNorm under FedBN, the BatchNorm values this client keeps, or null
 */
public record EvaluationJob(long round, GlobalModel model, int batchSize, float[] keptBatchNorm, long deadlineUnixMs) {
}
