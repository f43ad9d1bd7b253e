package io.fedge.comm;

import io.fedge.comm.proto.TransferHeader;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@link LocalTraining} on the wire: the {@code local_training} field of a {@code TrainTask}, and
 * SCAFFOLD's server control variate, which follows the model as a transfer of its own: one
 * little-endian fp32 per parameter, cut into chunks and digest-checked like the model.
 *
 * <p>Stateless.
 */
public final class LocalTrainingMessages {
    private LocalTrainingMessages() {
    }

    /**
     * The message for {@code local}.
     *
     * @param controlVariate the header of the control variate's transfer; required under SCAFFOLD,
     *     null otherwise
     */
    public static io.fedge.comm.proto.LocalTraining toProto(LocalTraining local, TransferHeader controlVariate) {
        if (local.scaffold() != (controlVariate != null)) {
            throw new IllegalArgumentException(local.scaffold() ? "SCAFFOLD needs the control variate's header"
                    : "a control variate goes with SCAFFOLD only");
        }
        io.fedge.comm.proto.LocalTraining.Builder b = io.fedge.comm.proto.LocalTraining.newBuilder()
                .setMomentum(local.momentum())
                .setProximalMu(local.proximalMu())
                .setScaffold(local.scaffold())
                .setClipNorm(local.clipNorm())
                .setNoiseStddev(local.noiseStddev())
                .setLocalBatchNorm(local.localBatchNorm());
        if (controlVariate != null) {
            b.setControlVariate(controlVariate);
        }
        return b.build();
    }

    /**
     * The instructions a message carries.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} naming the field out of bounds
     */
    public static LocalTraining fromProto(io.fedge.comm.proto.LocalTraining m) {
        try {
            return new LocalTraining(m.getMomentum(), m.getProximalMu(), m.getScaffold(), m.getClipNorm(),
                    m.getNoiseStddev(), m.getLocalBatchNorm());
        } catch (IllegalArgumentException e) {
            throw new FedgeException(ErrorCode.MALFORMED, "local training: " + e.getMessage());
        }
    }

    /** The control variate's payload: 4 bytes per value, little-endian IEEE 754 single precision. */
    public static byte[] encodeControlVariate(float[] c) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(4, c.length)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(c);
        return b.array();
    }

    /**
     * The values of a control variate's payload.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} if the length is not a whole number
     *     of floats, or {@link ErrorCode#NON_FINITE} naming the first value that is not finite
     */
    public static float[] decodeControlVariate(byte[] payload) {
        if (payload.length % 4 != 0) {
            throw new FedgeException(ErrorCode.MALFORMED, "a control variate of " + payload.length
                    + " bytes is not a whole number of fp32 values");
        }
        float[] c = new float[payload.length / 4];
        ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(c);
        for (int i = 0; i < c.length; i++) {
            if (!Float.isFinite(c[i])) {
                throw new FedgeException(ErrorCode.NON_FINITE, "control variate value " + i + " is " + c[i]);
            }
        }
        return c;
    }
}
