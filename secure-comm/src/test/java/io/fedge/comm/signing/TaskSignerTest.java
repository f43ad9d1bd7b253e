package io.fedge.comm.signing;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.EvaluateTask;
import io.fedge.comm.proto.LocalTraining;
import io.fedge.comm.proto.SecAggSetup;
import io.fedge.comm.proto.TrainTask;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskSignerTest {
    private static final KeyPair KEYS = ModelSigner.newKeyPair();

    private static TrainTask task() {
        return TrainTask.newBuilder()
                .setRound(7).setModelVersion(6).setLocalEpochs(1).setBatchSize(32).setLearningRate(0.05)
                .setCodec("fp32").setDeadlineUnixMs(1_800_000_000_000L).setSeed(42)
                .setModel(TransferHeader.newBuilder().setTransferId(99).setTotalLength(1000).setChunkCount(1)
                        .setSha256(ByteString.copyFrom(new byte[32])))
                .setUpdatePublicKey(ByteString.copyFrom(new byte[] {1, 2, 3}))
                .setSecureAggregation(SecAggSetup.newBuilder().setWordBits(32).setFractionBits(12).setClipRange(1)
                        .setWeightCap(600))
                .build();
    }

    @Test
    void aSignedTaskVerifiesForItsClient() {
        TrainTask signed = TaskSigner.sign(task(), "client-001", KEYS.getPrivate());
        TaskSigner.verify(signed, "client-001", KEYS.getPublic());
        assertEquals(64, signed.getTaskSignature().size());
    }

    @Test
    void everyFieldIsCovered() {
        TrainTask signed = TaskSigner.sign(task(), "client-001", KEYS.getPrivate());
        List<UnaryOperator<TrainTask.Builder>> tamperings = List.of(
                b -> b.setRound(8), b -> b.setModelVersion(5), b -> b.setLocalEpochs(2), b -> b.setBatchSize(1),
                b -> b.setLearningRate(5), b -> b.setCodec("sign"), b -> b.setDeadlineUnixMs(1),
                b -> b.setSeed(43), b -> b.setUpdatePublicKey(ByteString.copyFrom(new byte[] {9})),
                b -> b.setSecureAggregation(b.getSecureAggregation().toBuilder().setWeightCap(1L << 60)),
                b -> b.setSecureAggregation(b.getSecureAggregation().toBuilder().setClipRange(100)),
                b -> b.clearSecureAggregation(),
                b -> b.setModelIsDelta(true), b -> b.setModelDeltaBase(3),
                b -> b.setModel(b.getModel().toBuilder().setSha256(ByteString.copyFrom(new byte[32]).concat(
                        ByteString.copyFrom(new byte[] {1})))),
                b -> b.setModel(b.getModel().toBuilder().setTotalLength(1001)));
        for (UnaryOperator<TrainTask.Builder> t : tamperings) {
            TrainTask changed = t.apply(signed.toBuilder()).build();
            FedgeException e = assertThrows(FedgeException.class,
                    () -> TaskSigner.verify(changed, "client-001", KEYS.getPublic()), changed::toString);
            assertEquals(ErrorCode.BAD_SIGNATURE, e.code());
        }
    }

    /** A task with every local-training field set, SCAFFOLD's control variate header included. */
    private static TrainTask localTask() {
        return task().toBuilder().setLocalTraining(LocalTraining.newBuilder().setMomentum(0.9).setProximalMu(0.01)
                .setScaffold(true).setClipNorm(2.5).setNoiseStddev(0.1)
                .setControlVariate(TransferHeader.newBuilder().setTransferId(123).setTotalLength(400).setChunkCount(2)
                        .setSha256(ByteString.copyFrom(new byte[32])).setElementCount(100))).build();
    }

    @Test
    void everyLocalTrainingFieldIsCoveredTheControlVariateDigestIncluded() {
        TrainTask signed = TaskSigner.sign(localTask(), "client-001", KEYS.getPrivate());
        TaskSigner.verify(signed, "client-001", KEYS.getPublic());
        byte[] otherDigest = new byte[32];
        otherDigest[31] = 1;
        List<UnaryOperator<LocalTraining.Builder>> tamperings = List.of(
                b -> b.setMomentum(0.0), b -> b.setMomentum(0.95), b -> b.setProximalMu(0), b -> b.setProximalMu(1),
                b -> b.setScaffold(false), b -> b.clearControlVariate(), b -> b.setClipNorm(0),
                b -> b.setClipNorm(1e9), b -> b.setNoiseStddev(0), b -> b.setNoiseStddev(10),
                b -> b.setControlVariate(b.getControlVariate().toBuilder().setSha256(ByteString.copyFrom(otherDigest))),
                b -> b.setControlVariate(b.getControlVariate().toBuilder().setTransferId(124)),
                b -> b.setControlVariate(b.getControlVariate().toBuilder().setTotalLength(404)),
                b -> b.setControlVariate(b.getControlVariate().toBuilder().setChunkCount(3)),
                b -> b.setControlVariate(b.getControlVariate().toBuilder().setElementCount(101)));
        for (UnaryOperator<LocalTraining.Builder> t : tamperings) {
            TrainTask changed = signed.toBuilder().setLocalTraining(t.apply(signed.getLocalTraining().toBuilder()))
                    .build();
            FedgeException e = assertThrows(FedgeException.class,
                    () -> TaskSigner.verify(changed, "client-001", KEYS.getPublic()), changed::toString);
            assertEquals(ErrorCode.BAD_SIGNATURE, e.code());
        }
        // dropping the whole field, as a relay stripping the corrections would, breaks the signature too
        TrainTask stripped = signed.toBuilder().clearLocalTraining().build();
        assertEquals(ErrorCode.BAD_SIGNATURE, assertThrows(FedgeException.class,
                () -> TaskSigner.verify(stripped, "client-001", KEYS.getPublic())).code());
        // and a field added to a task signed without one
        TrainTask plain = TaskSigner.sign(task(), "client-001", KEYS.getPrivate());
        TrainTask added = plain.toBuilder().setLocalTraining(LocalTraining.newBuilder().setMomentum(0.9)).build();
        assertEquals(ErrorCode.BAD_SIGNATURE, assertThrows(FedgeException.class,
                () -> TaskSigner.verify(added, "client-001", KEYS.getPublic())).code());
    }

    @Test
    void fedBnIsCoveredAndATaskWithoutItKeepsItsBytes() {
        TrainTask fedBn = localTask().toBuilder().setLocalTraining(localTask().getLocalTraining().toBuilder()
                .setLocalBatchNorm(true)).build();
        TrainTask signed = TaskSigner.sign(fedBn, "client-001", KEYS.getPrivate());
        TaskSigner.verify(signed, "client-001", KEYS.getPublic());
        TrainTask averaged = signed.toBuilder().setLocalTraining(signed.getLocalTraining().toBuilder()
                .setLocalBatchNorm(false)).build();
        assertEquals(ErrorCode.BAD_SIGNATURE, assertThrows(FedgeException.class,
                () -> TaskSigner.verify(averaged, "client-001", KEYS.getPublic())).code(),
                "a relay turning FedBN off breaks the signature");
        // without FedBN the canonical bytes are those of a coordinator that never knew the field;
        // with it, one byte (true) follows them
        byte[] without = TaskSigner.canonical(localTask(), "client-001");
        byte[] with = TaskSigner.canonical(fedBn, "client-001");
        assertEquals(without.length + 1, with.length);
        assertTrue(java.util.Arrays.equals(without, java.util.Arrays.copyOf(with, without.length)));
        assertEquals(1, with[with.length - 1]);
    }

    @Test
    void aTaskWithoutLocalTrainingKeepsTheLayoutOfCoordinatorsThatNeverSendIt() {
        // the canonical bytes of a task without the field end with the delta base, as before the field existed;
        // with it, they continue after the same prefix
        byte[] without = TaskSigner.canonical(task(), "client-001");
        byte[] with = TaskSigner.canonical(localTask(), "client-001");
        assertTrue(with.length > without.length);
        assertTrue(java.util.Arrays.equals(without, java.util.Arrays.copyOf(with, without.length)));
        java.nio.ByteBuffer tail = java.nio.ByteBuffer.wrap(without, without.length - 9, 9);
        assertEquals(0, tail.get(), "model_is_delta");
        assertEquals(0L, tail.getLong(), "model_delta_base is the last field");
    }

    @Test
    void aTaskForOneClientDoesNotVerifyForAnother() {
        TrainTask signed = TaskSigner.sign(task(), "client-001", KEYS.getPrivate());
        assertTrue(assertThrows(FedgeException.class, () -> TaskSigner.verify(signed, "client-002", KEYS.getPublic()))
                .getMessage().contains("does not verify"));
    }

    @Test
    void unsignedOrForeignTasksAreRefused() {
        assertTrue(assertThrows(FedgeException.class, () -> TaskSigner.verify(task(), "client-001", KEYS.getPublic()))
                .getMessage().contains("not signed"));
        TrainTask foreign = TaskSigner.sign(task(), "client-001", ModelSigner.newKeyPair().getPrivate());
        assertTrue(assertThrows(FedgeException.class, () -> TaskSigner.verify(foreign, "client-001", KEYS.getPublic()))
                .getMessage().contains("does not verify"));
    }

    @Test
    void evaluationTasksAreSignedInTheirOwnDomain() {
        EvaluateTask e = EvaluateTask.newBuilder().setRound(7).setModelVersion(6).setBatchSize(256)
                .setModel(task().getModel()).build();
        EvaluateTask signed = TaskSigner.sign(e, "client-001", KEYS.getPrivate());
        TaskSigner.verify(signed, "client-001", KEYS.getPublic());
        assertThrows(FedgeException.class, () -> TaskSigner.verify(signed.toBuilder().setBatchSize(1).build(),
                "client-001", KEYS.getPublic()));
        // a training task's signature is no evaluation task's
        TrainTask t = TaskSigner.sign(task(), "client-001", KEYS.getPrivate());
        assertFalse(java.util.Arrays.equals(TaskSigner.canonical(e, "client-001"), TaskSigner.canonical(t, "client-001")));
    }
}
