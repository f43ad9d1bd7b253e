package io.fedge.comm.signing;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.LocalTraining;
import io.fedge.comm.proto.SecAggSetup;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Objects;

/**
 * Ed25519 signatures on whole tasks: the coordinator signs each {@link TrainTask} and
 * {@link EvaluateTask} for the client it is addressed to, and a client that pins the
 * coordinator's key refuses a task whose signature is missing or wrong before it downloads the
 * model. The signature covers a domain tag, the client's id and every field of the task (round,
 * model version and header digest, instructions, codec, deadline, seed, the key updates are
 * sealed to, the secure-aggregation encoding, delta base, the local training with the header and
 * digest of SCAFFOLD's control variate) in a fixed binary layout, so neither a
 * relay that terminates TLS nor a replay to another client can alter or reuse it. The model's
 * own signature ({@link ModelSigner}) still covers the model bytes.
 *
 * <p>Stateless and thread-safe.
 */
public final class TaskSigner {
    private static final String ALGORITHM = "Ed25519";
    private static final String TRAIN_DOMAIN = "fedge-task-v1";
    private static final String EVALUATE_DOMAIN = "fedge-evaluate-task-v1";

    private TaskSigner() {
    }

    /** {@code task} with its {@code task_signature} set for {@code clientId}. */
    public static TrainTask sign(TrainTask task, String clientId, PrivateKey key) {
        return task.toBuilder().setTaskSignature(ByteString.copyFrom(sign(canonical(task, clientId), key))).build();
    }

    /** {@code task} with its {@code task_signature} set for {@code clientId}. */
    public static EvaluateTask sign(EvaluateTask task, String clientId, PrivateKey key) {
        return task.toBuilder().setTaskSignature(ByteString.copyFrom(sign(canonical(task, clientId), key))).build();
    }

    /**
     * Checks a training task addressed to {@code clientId}.
     *
     * @throws FedgeException with {@link ErrorCode#BAD_SIGNATURE} if the signature is missing or does not verify
     */
    public static void verify(TrainTask task, String clientId, PublicKey coordinatorKey) {
        verify(canonical(task, clientId), task.getTaskSignature(), "training task of round " + task.getRound(),
                coordinatorKey);
    }

    /**
     * Checks an evaluation task addressed to {@code clientId}.
     *
     * @throws FedgeException with {@link ErrorCode#BAD_SIGNATURE} if the signature is missing or does not verify
     */
    public static void verify(EvaluateTask task, String clientId, PublicKey coordinatorKey) {
        verify(canonical(task, clientId), task.getTaskSignature(), "evaluation task of round " + task.getRound(),
                coordinatorKey);
    }

    private static byte[] sign(byte[] message, PrivateKey key) {
        Objects.requireNonNull(key, "key");
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with a " + key.getAlgorithm() + " key", e);
        }
    }

    private static void verify(byte[] message, ByteString signature, String what, PublicKey key) {
        if (signature.isEmpty()) {
            throw new FedgeException(ErrorCode.BAD_SIGNATURE, what + " is not signed, and this client trusts only "
                    + "tasks signed by its pinned coordinator key");
        }
        boolean ok;
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(message);
            ok = s.verify(signature.toByteArray());
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new FedgeException(ErrorCode.BAD_SIGNATURE, what + ": task signature does not verify with the "
                    + "pinned coordinator key");
        }
    }

    /** The signed bytes of a training task: every field but the signature, in field order. */
    static byte[] canonical(TrainTask t, String clientId) {
        return layout(TRAIN_DOMAIN, clientId, out -> {
            out.writeLong(t.getRound());
            out.writeLong(t.getModelVersion());
            out.writeInt(t.getLocalEpochs());
            out.writeInt(t.getBatchSize());
            out.writeLong(Double.doubleToLongBits(t.getLearningRate()));
            bytes(out, t.getCodec().getBytes(StandardCharsets.UTF_8));
            out.writeLong(t.getDeadlineUnixMs());
            header(out, t.getModel());
            out.writeLong(t.getSeed());
            bytes(out, t.getUpdatePublicKey().toByteArray());
            out.writeBoolean(t.hasSecureAggregation());
            SecAggSetup s = t.getSecureAggregation();
            out.writeInt(s.getWordBits());
            out.writeInt(s.getFractionBits());
            out.writeLong(Double.doubleToLongBits(s.getClipRange()));
            out.writeLong(s.getWeightCap());
            out.writeBoolean(t.getModelIsDelta());
            out.writeLong(t.getModelDeltaBase());
            // only when present, so that the tasks of coordinators that never send it keep their bytes
            if (t.hasLocalTraining()) {
                localTraining(out, t.getLocalTraining());
            }
        });
    }

    /** Every field of the local training, the control variate's header (with its digest) included. */
    private static void localTraining(DataOutputStream out, LocalTraining l) throws IOException {
        out.writeBoolean(true);
        out.writeLong(Double.doubleToLongBits(l.getMomentum()));
        out.writeLong(Double.doubleToLongBits(l.getProximalMu()));
        out.writeBoolean(l.getScaffold());
        out.writeBoolean(l.hasControlVariate());
        TransferHeader c = l.getControlVariate();
        header(out, c);
        out.writeInt(c.getElementsPerChunk());
        out.writeLong(c.getElementCount());
        bytes(out, c.getSignature().toByteArray());
        out.writeLong(Double.doubleToLongBits(l.getClipNorm()));
        out.writeLong(Double.doubleToLongBits(l.getNoiseStddev()));
        // only when set (the last field of the task), so that tasks without FedBN keep their bytes
        if (l.getLocalBatchNorm()) {
            out.writeBoolean(true);
        }
    }

    /** The signed bytes of an evaluation task. */
    static byte[] canonical(EvaluateTask t, String clientId) {
        return layout(EVALUATE_DOMAIN, clientId, out -> {
            out.writeLong(t.getRound());
            out.writeLong(t.getModelVersion());
            out.writeInt(t.getBatchSize());
            out.writeLong(t.getDeadlineUnixMs());
            header(out, t.getModel());
            out.writeBoolean(t.getModelIsDelta());
            out.writeLong(t.getModelDeltaBase());
        });
    }

    private interface Fields {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] layout(String domain, String clientId, Fields fields) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.write(domain.getBytes(StandardCharsets.US_ASCII));
            out.write(0);
            bytes(out, clientId.getBytes(StandardCharsets.UTF_8));
            fields.write(out);
        } catch (IOException e) {
            throw new IllegalStateException("in-memory stream", e);
        }
        return buf.toByteArray();
    }

    /** The model header's identity: transfer id, length, chunk count and digest (its own signature is separate). */
    private static void header(DataOutputStream out, TransferHeader h) throws IOException {
        out.writeLong(h.getTransferId());
        out.writeLong(h.getTotalLength());
        out.writeInt(h.getChunkCount());
        bytes(out, h.getSha256().toByteArray());
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }
}
