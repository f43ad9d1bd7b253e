package io.fedge.gateway;

import io.fedge.client.EvaluationJob;
import io.fedge.client.LocalUpdate;
import io.fedge.client.LocalWork;
import io.fedge.client.TrainingJob;
import io.fedge.comm.WireProtocol;
import io.fedge.coordinator.SiteAggregate;
import io.fedge.coordinator.SiteServer;
import io.fedge.coordinator.SiteTask;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.Evaluation;

import java.util.List;

/**
 * A gateway's answer to its upstream tasks: each training task becomes a round among the site's
 * devices ({@link SiteServer#train}), and its partial aggregate is the gateway's update (the mean
 * delta, weighing the devices' examples, aggregating their count); each evaluation task is asked of
 * the site's devices and combined by their examples. The upstream client encodes, seals and sends
 * it like any update, with the codec the coordinator asks for.
 */
final class SiteWork implements LocalWork {
    private final SiteServer site;

    SiteWork(SiteServer site) {
        this.site = site;
    }

    @Override
    public long declaredExamples() {
        return Math.max(1, site.declaredExamples());
    }

    /**
     * The gateway feature and every training correction a device can apply on its own; not
     * SCAFFOLD (its per-device control variates do not pass through a mean) and not secure
     * aggregation upstream (a site's devices aggregate securely among themselves instead).
     */
    @Override
    public List<String> features() {
        return List.of(WireProtocol.FEATURE_GATEWAY, LocalTraining.FEATURE_MOMENTUM, LocalTraining.FEATURE_FEDPROX,
                LocalTraining.FEATURE_CLIENT_DP, LocalTraining.FEATURE_LOCAL_BATCH_NORM);
    }

    @Override
    public LocalUpdate train(TrainingJob job) throws InterruptedException {
        if (job.local().scaffold()) {
            throw new FedgeException(ErrorCode.UNSUPPORTED_CODEC, "SCAFFOLD does not run through a gateway");
        }
        long t0 = System.nanoTime();
        SiteAggregate a = site.train(new SiteTask(job.round(), job.model(), job.localEpochs(), job.batchSize(),
                job.learningRate(), job.local(), job.taskSeed(), job.deadlineUnixMs()));
        return new LocalUpdate(a.meanDelta(), a.examples(), a.meanLoss(), (System.nanoTime() - t0) / 1_000_000,
                null, null, a.devices());
    }

    @Override
    public Evaluation evaluate(EvaluationJob job) throws InterruptedException {
        return site.evaluate(job.round(), job.model(), job.deadlineUnixMs()).orElseThrow(() ->
                new FedgeException(ErrorCode.INTERNAL, "no device of the site evaluated model " + job.model().version()));
    }
}
