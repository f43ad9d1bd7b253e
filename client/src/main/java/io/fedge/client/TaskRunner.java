package io.fedge.client;

import io.fedge.comm.LocalTrainingMessages;
import io.fedge.comm.MetricsWire;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.EvaluateResult;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;
import io.fedge.compression.UpdateCodec;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a downloaded task on the training executor: decodes the model (and SCAFFOLD's control
 * variate), trains with the task's local training or evaluates, and for a plain round encodes the
 * update (with error feedback for lossy codecs) and hands it to the upload on the event loop; a
 * secure round's update goes to {@link SecureRound} for masking. What the client keeps of an
 * update (error-feedback residual, SCAFFOLD's {@code c_i+}) is staged with its transfer id.
 */
final class TaskRunner {
    private static final Logger log = LoggerFactory.getLogger(TaskRunner.class);

    private final FederatedClient client;
    private final UpdateUpload upload;
    private final SecureRound secure;

    TaskRunner(FederatedClient client, UpdateUpload upload, SecureRound secure) {
        this.client = client;
        this.upload = upload;
        this.secure = secure;
    }

    /** Hands {@code task}, its model and its control variate (null if none) to the training executor. */
    void submit(ChannelHandlerContext ctx, Envelope task, byte[] model, byte[] controlVariate) {
        try {
            client.trainingExecutor().execute(() -> run(ctx, task, model, controlVariate));
        } catch (RejectedExecutionException e) {
            log.debug("client {} is shutting down; task dropped", client.clientId());
        }
    }

    /** Runs on the training executor; any failure is reported for the task's round. */
    private void run(ChannelHandlerContext ctx, Envelope task, byte[] payload, byte[] controlPayload) {
        if (!ctx.channel().isActive()) {
            return;
        }
        long round = Tasks.round(task);
        GlobalModel model;
        float[] serverControl = null;
        try {
            model = GlobalModel.decode(payload);
            if (model.version() != Tasks.modelVersion(task)) {
                throw new FedgeException(ErrorCode.STALE_MODEL, "task names model version " + Tasks.modelVersion(task)
                        + " but the model sent is version " + model.version());
            }
            if (controlPayload != null) {
                TaskChecks.checkControlVariate(task.getTrainTask(), model.parameterCount());
                serverControl = LocalTrainingMessages.decodeControlVariate(controlPayload);
            }
        } catch (FedgeException e) {
            TaskRefusal.send(ctx, client.clientId(), round, Tasks.model(task).getTransferId(), e);
            return;
        }
        try {
            if (task.hasTrainTask()) {
                train(ctx, task.getTrainTask(), model, serverControl);
            } else {
                evaluate(ctx, task.getEvaluateTask(), model);
            }
        } catch (FedgeException e) {
            TaskRefusal.send(ctx, client.clientId(), round, 0, e);
        } catch (RuntimeException e) {
            TaskRefusal.sendInternal(ctx, client.clientId(), round, e);
        }
    }

    private void train(ChannelHandlerContext ctx, TrainTask task, GlobalModel model, float[] serverControl) {
        UpdateCodec codec = task.hasSecureAggregation() ? null : client.codecs().get(task.getCodec());
        long seed = task.getSeed() * 0x9E3779B97F4A7C15L + client.clientId().hashCode();
        LocalTraining local = task.hasLocalTraining() ? LocalTrainingMessages.fromProto(task.getLocalTraining())
                : LocalTraining.NONE;
        float[] clientControl = local.scaffold() ? client.controlVariate().current(model.parameterCount()) : null;
        float[] keptBatchNorm = null;
        if (local.localBatchNorm()) {
            keptBatchNorm = client.keptBatchNorm().current(LocalTrainer.batchNormCount(model.configJson()));
        } else {
            client.keptBatchNorm().clear(); // the federation averages BatchNorm now
        }
        LocalUpdate trained;
        try {
            trained = client.work().train(new TrainingJob(task.getRound(), model, task.getLocalEpochs(),
                    task.getBatchSize(), task.getLearningRate(), task.getSeed(), seed, local, serverControl,
                    clientControl, keptBatchNorm, task.getDeadlineUnixMs()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedgeException(ErrorCode.INTERNAL, "interrupted while training (client closing)");
        }
        float[] raw = trained.delta();
        for (int i = 0; i < raw.length; i++) {
            if (!Float.isFinite(raw[i])) {
                throw new FedgeException(ErrorCode.NON_FINITE, "local training diverged: update value " + i + " is "
                        + raw[i] + " (learning rate " + task.getLearningRate() + ")");
            }
        }
        LocalUpdate update = client.outgoing(task.getRound(), trained);
        if (task.hasSecureAggregation()) {
            SecureRound.Trained t = new SecureRound.Trained(task, model.version(), update, trained.controlVariate(),
                    trained.batchNorm());
            ctx.executor().execute(() -> secure.onTrained(ctx, t));
            return;
        }
        long transferId = client.nextTransferId();
        UpdateSealer.Sealing sealing = TrainResults.sealing(task, client.clientId(), transferId);
        float[] delta = update.delta();
        ErrorFeedback feedback = codec.wantsErrorFeedback() ? client.errorFeedback() : null;
        float[] meant = feedback == null ? delta : feedback.apply(delta);
        float[] decoded = feedback == null ? null : new float[delta.length];
        OutgoingTransfer encoded = UpdateEncoder.encode(transferId, meant, codec,
                client.maxChunkBytes(), client.updateChunkElements(), sealing, decoded);
        if (feedback != null) {
            feedback.stage(transferId, meant, decoded);
        }
        if (trained.controlVariate() != null) {
            client.controlVariate().stage(transferId, trained.controlVariate());
        }
        if (trained.batchNorm() != null) {
            client.keptBatchNorm().stage(transferId, trained.batchNorm());
        }
        TrainResult announced = TrainResults.resultFor(task, model.version(), update, encoded, sealing)
                .setCodec(codec.name()).build();
        ctx.executor().execute(() -> upload.announce(ctx, announced, encoded));
    }

    /** Evaluates with this client's own BatchNorm parameters when it keeps them (FedBN). */
    private void evaluate(ChannelHandlerContext ctx, EvaluateTask task, GlobalModel model) {
        float[] kept = client.keptBatchNorm().current(LocalTrainer.batchNormCount(model.configJson()));
        Evaluation e;
        try {
            e = client.work().evaluate(new EvaluationJob(task.getRound(), model, task.getBatchSize(), kept,
                    task.getDeadlineUnixMs()));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FedgeException(ErrorCode.INTERNAL, "interrupted while evaluating (client closing)");
        }
        EvaluateResult.Builder result = EvaluateResult.newBuilder()
                .setRound(task.getRound())
                .setModelVersion(model.version())
                .setNumExamples(e.examples())
                .setAccuracy(e.accuracy())
                .setLoss(e.loss());
        MetricsWire.write(e.metrics(), result); // the confusion matrix or error sums, merged exactly upstream
        ctx.writeAndFlush(Envelope.newBuilder().setEvaluateResult(result).build());
    }
}
