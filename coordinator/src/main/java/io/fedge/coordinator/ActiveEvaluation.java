package io.fedge.coordinator;

import io.fedge.aggregation.EvaluateResult;
import io.fedge.aggregation.Failure;
import io.fedge.comm.MetricsWire;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A federated evaluation in progress: the clients asked to evaluate one model version, and what
 * they answered. Thread-safe.
 */
final class ActiveEvaluation {
    final long round;
    final long modelVersion;
    final long deadlineMillis;
    /** The evaluated model's output width (classes or targets), against which detailed metrics are checked; -1: unknown, none kept. */
    private final int outputs;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition settled = lock.newCondition();
    private final Map<String, Boolean> answered = new HashMap<>();
    private final List<EvaluateResult> results = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();
    private boolean closed;

    ActiveEvaluation(long round, long modelVersion, long deadlineMillis, List<String> selected) {
        this(round, modelVersion, deadlineMillis, selected, -1);
    }

    /** @param outputs the model's output width, {@link io.fedge.core.model.Network#outputWidth}; -1 keeps no detailed metrics */
    ActiveEvaluation(long round, long modelVersion, long deadlineMillis, List<String> selected, int outputs) {
        this.outputs = outputs;
        this.round = round;
        this.modelVersion = modelVersion;
        this.deadlineMillis = deadlineMillis;
        for (String id : selected) {
            answered.put(id, false);
        }
    }

    /**
     * Records a client's evaluation.
     *
     * @throws FedgeException if the client was not asked, answered already, the evaluation is over,
     *     it claims no examples or more than the client declared at registration, or its detailed
     *     metrics do not fit the model or its own accuracy and loss ({@link MetricsWire#read})
     */
    void accept(String clientId, io.fedge.comm.proto.EvaluateResult r, long declaredExamples) {
        lock.lock();
        try {
            if (r.getRound() != round || r.getModelVersion() != modelVersion) {
                throw new FedgeException(ErrorCode.WRONG_ROUND, "evaluation of round " + r.getRound() + " version "
                        + r.getModelVersion() + ", expected round " + round + " version " + modelVersion);
            }
            if (closed) {
                throw new FedgeException(ErrorCode.LATE_RESULT, "evaluation of round " + round + " is closed");
            }
            Boolean done = answered.get(clientId);
            if (done == null) {
                throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, clientId + " was not asked to evaluate");
            }
            if (done) {
                throw new FedgeException(ErrorCode.DUPLICATE_RESULT, clientId + " already answered");
            }
            // a regression model has no accuracy: its clients report NaN
            if (!Double.isFinite(r.getLoss()) || !(Double.isNaN(r.getAccuracy())
                    || r.getAccuracy() >= 0 && r.getAccuracy() <= 1)) {
                throw new FedgeException(ErrorCode.NON_FINITE, "evaluation reports loss " + r.getLoss()
                        + " and accuracy " + r.getAccuracy());
            }
            if (r.getNumExamples() == 0 || Long.compareUnsigned(r.getNumExamples(), declaredExamples) > 0) {
                throw new FedgeException(ErrorCode.LIMIT_EXCEEDED, "evaluation claims "
                        + Long.toUnsignedString(r.getNumExamples()) + " examples, " + clientId + " registered with "
                        + declaredExamples);
            }
            io.fedge.core.metrics.Metrics metrics = outputs > 0 ? MetricsWire.read(r, outputs) : null;
            answered.put(clientId, true);
            results.add(new EvaluateResult(clientId, r.getNumExamples(), r.getLoss(), r.getAccuracy(), metrics));
            settled.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void clientFailed(String clientId, String reason) {
        lock.lock();
        try {
            if (!closed && Boolean.FALSE.equals(answered.get(clientId))) {
                answered.put(clientId, true);
                failures.add(new Failure(clientId, reason));
                settled.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    void awaitAnswers() throws InterruptedException {
        lock.lock();
        try {
            long remaining = deadlineMillis - System.currentTimeMillis();
            while (results.size() + failures.size() < answered.size() && remaining > 0) {
                settled.await(remaining, TimeUnit.MILLISECONDS);
                remaining = deadlineMillis - System.currentTimeMillis();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the evaluation and returns the answers; clients still silent count as failures. */
    List<EvaluateResult> close(List<Failure> failuresOut) {
        lock.lock();
        try {
            closed = true;
            for (Map.Entry<String, Boolean> e : answered.entrySet()) {
                if (!e.getValue()) {
                    failures.add(new Failure(e.getKey(), "no evaluation before the deadline"));
                }
            }
            failuresOut.addAll(failures);
            return List.copyOf(results);
        } finally {
            lock.unlock();
        }
    }
}
