package io.fedge.comm;

import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LocalTrainingMessagesTest {
    @Test
    void everyFieldTravelsAndTheControlVariateGoesWithScaffoldOnly() {
        LocalTraining local = new LocalTraining(0.9, 0.01, true, 2.5, 0.1);
        TransferHeader h = TransferHeader.newBuilder().setTransferId(7).setTotalLength(8).setElementCount(2).build();
        io.fedge.comm.proto.LocalTraining m = LocalTrainingMessages.toProto(local, h);
        assertEquals(h, m.getControlVariate());
        assertEquals(local, LocalTrainingMessages.fromProto(m));
        io.fedge.comm.proto.LocalTraining prox = LocalTrainingMessages.toProto(LocalTraining.NONE.withProximalMu(1), null);
        assertFalse(prox.hasControlVariate());
        assertEquals(LocalTraining.NONE.withProximalMu(1), LocalTrainingMessages.fromProto(prox));
        assertThrows(IllegalArgumentException.class, () -> LocalTrainingMessages.toProto(local, null));
        assertThrows(IllegalArgumentException.class, () -> LocalTrainingMessages.toProto(LocalTraining.NONE, h));
        assertEquals(ErrorCode.MALFORMED, assertThrows(FedgeException.class, () -> LocalTrainingMessages.fromProto(
                m.toBuilder().setMomentum(1).build())).code());
        LocalTraining fedBn = LocalTraining.NONE.withMomentum(0.5).withLocalBatchNorm(true);
        io.fedge.comm.proto.LocalTraining bn = LocalTrainingMessages.toProto(fedBn, null);
        assertEquals(true, bn.getLocalBatchNorm());
        assertEquals(fedBn, LocalTrainingMessages.fromProto(bn));
        assertEquals(false, m.getLocalBatchNorm(), "off unless asked");
        assertEquals(java.util.List.of(LocalTraining.FEATURE_MOMENTUM, LocalTraining.FEATURE_LOCAL_BATCH_NORM),
                fedBn.requiredFeatures());
    }

    @Test
    void theControlVariateIsLittleEndianFp32() {
        byte[] b = LocalTrainingMessages.encodeControlVariate(new float[] {1.0f, -2.5f});
        // 1.0f = 0x3F800000, -2.5f = 0xC0200000, least significant byte first
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0x20, (byte) 0xC0}, b);
        assertArrayEquals(new float[] {1.0f, -2.5f}, LocalTrainingMessages.decodeControlVariate(b));
        assertEquals(ErrorCode.MALFORMED, assertThrows(FedgeException.class,
                () -> LocalTrainingMessages.decodeControlVariate(new byte[5])).code());
        byte[] nan = LocalTrainingMessages.encodeControlVariate(new float[] {0, Float.NaN});
        assertEquals(ErrorCode.NON_FINITE, assertThrows(FedgeException.class,
                () -> LocalTrainingMessages.decodeControlVariate(nan)).code());
    }
}
