package io.fedge.coordinator;

import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.EvaluateResult;
import io.fedge.aggregation.Failure;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.core.model.GlobalModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A federated A/B evaluation: the same sampled clients evaluate version A, then version B, on
 * their own data (each sent in full through a broadcast of its own, signed like any model), and
 * their paired accuracies decide ({@link PairedComparison}, 95%). A client that answers only one
 * of the two is left out of the pairs. Runs on the round thread between rounds.
 */
final class FederatedComparison {
    private static final Logger log = LoggerFactory.getLogger(FederatedComparison.class);
    /** The evaluation batch size clients are asked for. */
    static final int BATCH = 64;

    private final CoordinatorState state;

    FederatedComparison(CoordinatorState state) {
        this.state = state;
    }

    ComparisonResult run(long id, long afterRound, GlobalModel a, GlobalModel b, int clients, long timeoutMillis,
                         Random rng) throws InterruptedException {
        List<ClientInfo> available = new ArrayList<>(state.registry.available());
        Collections.shuffle(available, rng);
        List<String> ids = new ArrayList<>();
        for (ClientInfo c : available.subList(0, Math.min(clients, available.size()))) {
            ids.add(c.id());
        }
        Map<String, EvaluateResult> ra = evaluate(afterRound, a, ids, timeoutMillis);
        Map<String, EvaluateResult> rb = evaluate(afterRound, b, ids, timeoutMillis);
        List<String> both = new ArrayList<>();
        for (String c : ids) {
            if (ra.containsKey(c) && rb.containsKey(c)) {
                both.add(c);
            }
        }
        double[] xa = new double[both.size()];
        double[] xb = new double[both.size()];
        double sumA = 0;
        double sumB = 0;
        for (int i = 0; i < both.size(); i++) {
            xa[i] = ra.get(both.get(i)).accuracy();
            xb[i] = rb.get(both.get(i)).accuracy();
            sumA += xa[i];
            sumB += xb[i];
        }
        PairedComparison p = PairedComparison.of(xa, xb, 0.95);
        ComparisonResult r = new ComparisonResult(id, a.version(), b.version(), afterRound, ids.size(),
                both.isEmpty() ? Double.NaN : sumA / both.size(), both.isEmpty() ? Double.NaN : sumB / both.size(), p,
                System.currentTimeMillis());
        log.info("A/B evaluation {}: {}", id, r.describe());
        return r;
    }

    private Map<String, EvaluateResult> evaluate(long round, GlobalModel m, List<String> ids, long timeoutMillis)
            throws InterruptedException {
        ModelBroadcast broadcast = new ModelBroadcast(state, m);
        try {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            ActiveEvaluation evaluation = new ActiveEvaluation(round, m.version(), deadline, ids,
                    io.fedge.core.model.Network.outputWidth(m.configJson()));
            state.evaluation = evaluation;
            EvaluateTask template = EvaluateTask.newBuilder().setRound(round).setModelVersion(m.version())
                    .setBatchSize(BATCH).setDeadlineUnixMs(deadline).setModel(broadcast.header()).build();
            for (String id : ids) {
                Optional<ClientSession> s = state.registry.get(id).filter(ClientSession::isActive);
                if (s.isEmpty()) {
                    evaluation.clientFailed(id, "disconnected before the task was sent");
                    continue;
                }
                broadcast.sendEvaluateTask(s.get(), m.version(), template);
            }
            evaluation.awaitAnswers();
            List<Failure> failures = new ArrayList<>();
            Map<String, EvaluateResult> out = new HashMap<>();
            for (EvaluateResult r : evaluation.close(failures)) {
                if (Double.isFinite(r.accuracy())) {
                    out.put(r.clientId(), r);
                }
            }
            for (Failure f : failures) {
                log.info("A/B evaluation of version {}: {} did not count: {}", m.version(), f.clientId(), f.reason());
            }
            return out;
        } finally {
            state.evaluation = null;
            broadcast.release();
        }
    }
}
