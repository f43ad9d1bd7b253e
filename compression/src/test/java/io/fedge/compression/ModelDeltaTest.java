package io.fedge.compression;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.model.GlobalModel;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelDeltaTest {
    private static GlobalModel[] twoVersions(int n, boolean half) {
        Random r = new Random(1);
        float[] p = new float[n];
        float[] q = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) (r.nextGaussian() * 0.05);
            q[i] = p[i] + (float) (r.nextGaussian() * 0.0005); // one round of small updates
        }
        return new GlobalModel[] {new GlobalModel(3, "{\"c\":1}", p), new GlobalModel(4, "{\"c\":1}", q)};
    }

    @Test
    void aDeltaRebuildsTheNewModelExactlyAndIsSmaller() {
        for (boolean half : new boolean[] {false, true}) {
            GlobalModel[] v = twoVersions(100_000, half);
            byte[] base = v[0].encode(half);
            byte[] target = v[1].encode(half);
            byte[] delta = ModelDelta.encode(base, target);
            assertArrayEquals(target, ModelDelta.apply(base, delta));
            assertEquals(4, GlobalModel.decode(ModelDelta.apply(base, delta)).version());
            assertTrue(delta.length < 0.75 * target.length, (half ? "fp16" : "fp32") + ": delta " + delta.length
                    + " bytes against " + target.length);
        }
    }

    @Test
    void aWrongBaseOrACorruptDeltaIsRefused() {
        GlobalModel[] v = twoVersions(10_000, false);
        byte[] base = v[0].encode();
        byte[] target = v[1].encode();
        byte[] delta = ModelDelta.encode(base, target);
        byte[] otherBase = base.clone();
        otherBase[otherBase.length - 1] ^= 1;
        assertEquals(ErrorCode.DIGEST_MISMATCH,
                assertThrows(FedgeException.class, () -> ModelDelta.apply(otherBase, delta)).code());
        byte[] corrupt = delta.clone();
        corrupt[40] ^= 0x55;
        FedgeException e = assertThrows(FedgeException.class, () -> ModelDelta.apply(base, corrupt));
        assertTrue(e.code() == ErrorCode.CODEC_ERROR || e.code() == ErrorCode.DIGEST_MISMATCH, e.code().toString());
        assertEquals(ErrorCode.CODEC_ERROR, assertThrows(FedgeException.class,
                () -> ModelDelta.apply(base, new byte[] {1, 2, 3})).code());
        assertNull(ModelDelta.encode(base, new byte[base.length + 4]), "no delta between models of different sizes");
    }

    @Test
    void shufflingIsItsOwnInverse() {
        byte[] b = new byte[4 * 7 + 3];
        new Random(2).nextBytes(b);
        assertArrayEquals(b, ModelDelta.unshuffle(ModelDelta.shuffle(b)));
    }
}
