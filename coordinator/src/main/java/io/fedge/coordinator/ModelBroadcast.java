package io.fedge.coordinator;

import io.fedge.comm.LocalTrainingMessages;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.comm.signing.ModelSigner;
import io.fedge.comm.signing.TaskSigner;
import io.fedge.compression.ModelDelta;
import io.fedge.core.model.GlobalModel;
import io.netty.channel.Channel;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The published model as it goes to clients: encoded and cut into frames once per version (every
 * client gets retained duplicates of the same buffers), signed once per version, and, when
 * deltas are on, as lossless deltas against the versions clients last received (one per base
 * version, shared by every client holding that base), and SCAFFOLD's control variate, encoded once
 * per round and sent after the model. Each task is signed for the client it is addressed to
 * ({@link TaskSigner}) when the coordinator has a model-signing key.
 *
 * <p>Used by the round thread only.
 */
final class ModelBroadcast {
    /** Model transfers use ids with this bit set, so they never collide with client-chosen ids. */
    private static final long MODEL_TRANSFER_BIT = 1L << 62;
    /** Delta model transfers also have this bit. */
    private static final long DELTA_TRANSFER_BIT = 1L << 61;
    /** SCAFFOLD's control-variate transfers have this bit (with the model bit, not the delta bit) and the round. */
    private static final long CONTROL_TRANSFER_BIT = 1L << 60;

    private final CoordinatorState state;
    private OutgoingTransfer broadcast;
    /** The broadcast's header, signed when the coordinator has a model-signing key. */
    private TransferHeader header;
    private long version;
    /** The encoded models of the last versions, oldest first, for deltas (empty when deltas are off). */
    private final LinkedHashMap<Long, byte[]> recentModels = new LinkedHashMap<>();
    /** This version's deltas, by base version. */
    private final Map<Long, Delta> deltas = new HashMap<>();
    /** The current round's control variate, encoded once for all its clients; null if none. */
    private OutgoingTransfer controlVariate;

    /** A model download as a delta against one base version. */
    private record Delta(OutgoingTransfer transfer, TransferHeader header) {
    }

    ModelBroadcast(CoordinatorState state, GlobalModel initial) {
        this.state = state;
        this.broadcast = encode(initial);
    }

    /** Makes {@code next} the model that goes out; the previous version's buffers are released. */
    void publish(GlobalModel next) {
        OutgoingTransfer old = broadcast;
        broadcast = encode(next);
        old.release();
        releaseDeltas();
    }

    /** The version of the model that goes out. */
    long version() {
        return version;
    }

    /** The full model's header. */
    TransferHeader header() {
        return header;
    }

    /**
     * Encodes SCAFFOLD's control variate for round {@code round} once, as little-endian fp32 cut into
     * chunks like the model, replacing the previous round's: its header goes into the tasks'
     * {@code local_training} (and so under their signature), its chunks follow each task's model.
     */
    TransferHeader controlVariate(long round, float[] c) {
        releaseControlVariate();
        long id = MODEL_TRANSFER_BIT | CONTROL_TRANSFER_BIT | (round & (CONTROL_TRANSFER_BIT - 1));
        controlVariate = OutgoingTransfer.ofBytes(id, LocalTrainingMessages.encodeControlVariate(c),
                state.limits.chunkBytes());
        return controlVariate.header().toBuilder().setElementCount(c.length).build();
    }

    /**
     * Writes a training task built from {@code template} and the model of {@code version} to the
     * client, then the control variate if the task names one ({@link #controlVariate}).
     */
    void sendTrainTask(ClientSession s, long version, TrainTask template) {
        OutgoingTransfer control = null;
        if (template.getLocalTraining().hasControlVariate()) {
            control = controlVariate;
            if (control == null || control.header().getTransferId()
                    != template.getLocalTraining().getControlVariate().getTransferId()) {
                throw new IllegalStateException("the task names a control variate this broadcast does not hold");
            }
        }
        OutgoingTransfer after = control;
        send(s, version, after, (h, base) -> {
            TrainTask.Builder t = template.toBuilder().setModel(h);
            if (base != null) {
                t.setModelIsDelta(true).setModelDeltaBase(base);
            }
            TrainTask task = t.build();
            if (state.modelSigningKey != null) {
                task = TaskSigner.sign(task, s.clientId(), state.modelSigningKey);
            }
            return Envelope.newBuilder().setTrainTask(task).build();
        });
    }

    /** Writes an evaluation task built from {@code template} and the model of {@code version} to the client. */
    void sendEvaluateTask(ClientSession s, long version, EvaluateTask template) {
        send(s, version, null, (h, base) -> {
            EvaluateTask.Builder t = template.toBuilder().setModel(h);
            if (base != null) {
                t.setModelIsDelta(true).setModelDeltaBase(base);
            }
            EvaluateTask task = t.build();
            if (state.modelSigningKey != null) {
                task = TaskSigner.sign(task, s.clientId(), state.modelSigningKey);
            }
            return Envelope.newBuilder().setEvaluateTask(task).build();
        });
    }

    /**
     * Writes the task and the model: as a delta against the version this connection last received
     * when the coordinator still has that version and the delta is smaller, in full otherwise;
     * then {@code after}'s chunks, if given.
     */
    private void send(ClientSession s, long version, OutgoingTransfer after,
                      java.util.function.BiFunction<TransferHeader, Long, Envelope> task) {
        Channel ch = s.channel();
        long base = s.modelVersion().get();
        Delta d = state.deltaModelVersions > 0 && base >= 0 && base != version ? delta(base, version) : null;
        if (d != null) {
            ch.write(task.apply(d.header(), base));
            d.transfer().writeTo(ch);
        } else {
            ch.write(task.apply(header, null));
            broadcast.writeTo(ch);
        }
        if (after != null) {
            after.writeTo(ch);
        }
        ch.flush();
        s.modelVersion().set(version);
    }

    private Delta delta(long base, long version) {
        Delta d = deltas.get(base);
        if (d != null || !recentModels.containsKey(base)) {
            return d;
        }
        byte[] target = recentModels.get(version);
        byte[] bytes = ModelDelta.encode(recentModels.get(base), target);
        if (bytes == null || bytes.length >= target.length) {
            return null;
        }
        long id = MODEL_TRANSFER_BIT | DELTA_TRANSFER_BIT | ((version * 1_000_003L + base) & ((1L << 60) - 1));
        OutgoingTransfer t = OutgoingTransfer.ofBytes(id, bytes, state.limits.chunkBytes());
        d = new Delta(t, state.modelSigningKey == null ? t.header() : ModelSigner.sign(t.header(), state.modelSigningKey));
        deltas.put(base, d);
        return d;
    }

    private OutgoingTransfer encode(GlobalModel m) {
        version = m.version();
        byte[] bytes = m.encode(state.halfPrecisionModels);
        if (state.deltaModelVersions > 0) {
            recentModels.put(m.version(), bytes);
            while (recentModels.size() > state.deltaModelVersions) {
                recentModels.remove(recentModels.keySet().iterator().next());
            }
        }
        OutgoingTransfer t = OutgoingTransfer.ofBytes(MODEL_TRANSFER_BIT | m.version(), bytes,
                state.limits.chunkBytes());
        header = state.modelSigningKey == null ? t.header() : ModelSigner.sign(t.header(), state.modelSigningKey);
        return t;
    }

    private void releaseDeltas() {
        for (Delta d : deltas.values()) {
            d.transfer().release();
        }
        deltas.clear();
    }

    private void releaseControlVariate() {
        if (controlVariate != null) {
            controlVariate.release();
            controlVariate = null;
        }
    }

    /** Releases every buffer. */
    void release() {
        broadcast.release();
        releaseDeltas();
        releaseControlVariate();
    }
}
