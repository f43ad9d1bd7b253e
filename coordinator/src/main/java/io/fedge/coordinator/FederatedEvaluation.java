package io.fedge.coordinator;

import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.EvaluatePlan;
import io.fedge.aggregation.EvaluateResult;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.Strategy;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Asks the clients the strategy picks to evaluate the new model on their own data, waits for
 * their answers until the deadline, and combines them with the strategy. Runs on the round thread.
 */
final class FederatedEvaluation {
    private final CoordinatorState state;
    private final Strategy strategy;
    private final ModelBroadcast broadcast;

    FederatedEvaluation(CoordinatorState state, Strategy strategy, ModelBroadcast broadcast) {
        this.state = state;
        this.strategy = strategy;
        this.broadcast = broadcast;
    }

    /**
     * The combined evaluation (accuracy NaN for a regression model), or empty when no client evaluated.
     */
    Optional<Evaluation> run(long round, GlobalModel model, long timeoutMillis, Random rng) throws InterruptedException {
        EvaluatePlan plan = strategy.configureEvaluate(round, state.registry.available(), rng);
        if (plan.clients().isEmpty()) {
            return Optional.empty();
        }
        List<String> ids = new ArrayList<>();
        for (ClientInfo c : plan.clients()) {
            ids.add(c.id());
        }
        long deadline = System.currentTimeMillis() + timeoutMillis;
        ActiveEvaluation evaluation = new ActiveEvaluation(round, model.version(), deadline, ids,
                io.fedge.core.model.Network.outputWidth(model.configJson()));
        state.evaluation = evaluation;
        EvaluateTask template = EvaluateTask.newBuilder()
                .setRound(round)
                .setModelVersion(model.version())
                .setBatchSize(plan.batchSize())
                .setDeadlineUnixMs(deadline)
                .setModel(broadcast.header()).build();
        for (String id : ids) {
            Optional<ClientSession> s = state.registry.get(id).filter(ClientSession::isActive);
            if (s.isEmpty()) {
                evaluation.clientFailed(id, "disconnected before the task was sent");
                continue;
            }
            broadcast.sendEvaluateTask(s.get(), model.version(), template);
        }
        evaluation.awaitAnswers();
        List<Failure> failures = new ArrayList<>();
        List<EvaluateResult> results = evaluation.close(failures);
        return strategy.aggregateEvaluate(round, results, failures);
    }
}
