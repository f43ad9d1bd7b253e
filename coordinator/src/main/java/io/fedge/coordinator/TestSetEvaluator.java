package io.fedge.coordinator;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.Evaluator;
import io.fedge.core.model.GlobalModel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Evaluates global models on a fixed labelled test set with DL4J. Keeps one network per
 * architecture and only swaps parameters between rounds. Not thread-safe (the coordinator calls
 * it from one thread).
 */
public final class TestSetEvaluator implements ServerEvaluator {
    private final Evaluator evaluator;
    private String cachedConfig;
    private MultiLayerNetwork net;

    public TestSetEvaluator(DataSet testSet, int batchSize) {
        this.evaluator = new Evaluator(testSet, batchSize);
    }

    @Override
    public Evaluation evaluate(GlobalModel model) {
        if (net == null || !model.configJson().equals(cachedConfig)) {
            net = Dl4jModels.instantiate(model.configJson());
            cachedConfig = model.configJson();
        }
        Dl4jModels.setParameters(net, model.parameters());
        return evaluator.evaluate(net);
    }
}
