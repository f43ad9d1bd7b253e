package io.fedge.client;

import io.fedge.compression.CodecRegistry;
import io.fedge.compression.UpdateCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Error feedback with lossy codecs: over many rounds what was sent must add up to what was meant,
 * with the difference (the residual) bounded, and the residual must survive a restart.
 */
class ErrorFeedbackTest {
    private static final int N = 5_000;

    private static long transferIds;

    /** One round: apply the residual, encode and decode as the coordinator would, stage, commit; returns what was sent. */
    private static float[] round(ErrorFeedback ef, UpdateCodec codec, float[] update) {
        long transferId = ++transferIds;
        float[] meant = ef.apply(update);
        byte[] encoded = codec.encode(meant, 0, meant.length);
        float[] sent = new float[meant.length];
        codec.decode(ByteBuffer.wrap(encoded), sent, 0, meant.length);
        ef.stage(transferId, meant, sent);
        assertTrue(ef.commit(transferId));
        return sent;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    @Test
    void whatIsSentConvergesToWhatWasMeant() {
        for (String name : new String[] {"topk:0.01", "topk:0.01+int8", "sign"}) {
            UpdateCodec codec = CodecRegistry.defaultRegistry().get(name);
            ErrorFeedback ef = ErrorFeedback.inMemory();
            Random r = new Random(1);
            double[] trueSum = new double[N];
            double[] sentSum = new double[N];
            double[] gap = new double[N];
            double early = 0;
            double late = 0;
            double gapHalfway = 0;
            int rounds = 400;
            for (int t = 1; t <= rounds; t++) {
                float[] u = new float[N];
                for (int i = 0; i < N; i++) {
                    u[i] = (float) (0.01 + 0.01 * r.nextGaussian()); // a drift every round, plus noise
                }
                float[] sent = round(ef, codec, u);
                for (int i = 0; i < N; i++) {
                    trueSum[i] += u[i];
                    sentSum[i] += sent[i];
                    gap[i] = trueSum[i] - sentSum[i];
                }
                double relative = norm(gap) / norm(trueSum);
                if (t == 20) {
                    early = relative;
                }
                if (t == rounds / 2) {
                    gapHalfway = norm(gap);
                }
                if (t == rounds) {
                    late = relative;
                }
                // the gap is exactly the residual carried forward
                float[] residual = ef.residual();
                for (int i = 0; i < N; i += 997) {
                    assertTrue(Math.abs(gap[i] - residual[i]) < 1e-3, name + ": gap and residual differ at " + i);
                }
            }
            // without feedback, top-1% would send 1% of the sum; with it, the relative gap shrinks like 1/t
            assertTrue(late < early / 5, name + ": relative gap " + early + " after 20 rounds, " + late + " after " + rounds);
            // and the residual is bounded: it does not grow between round 200 and round 400, while the sums double
            assertTrue(norm(gap) < 1.2 * gapHalfway, name + ": residual norm " + gapHalfway + " at round "
                    + rounds / 2 + ", " + norm(gap) + " at round " + rounds);
        }
    }

    @Test
    void theResidualSurvivesARestartAndANewModelShapeStartsAfresh(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("error-feedback.bin");
        UpdateCodec codec = CodecRegistry.defaultRegistry().get("topk:0.1");
        ErrorFeedback before = ErrorFeedback.persistent(file);
        float[] u = new float[100];
        for (int i = 0; i < u.length; i++) {
            u[i] = i % 7 - 3;
        }
        round(before, codec, u);
        float[] carried = before.residual();
        ErrorFeedback after = ErrorFeedback.persistent(file);
        assertArrayEquals(carried, after.residual(), "read back bit for bit");
        float[] applied = after.apply(new float[100]);
        assertArrayEquals(carried, applied);
        assertArrayEquals(new float[3], after.apply(new float[3]), "another model's update ignores the residual");

        // one changed bit of one residual value, anywhere in the file, is refused: the digest covers it all
        byte[] good = Files.readAllBytes(file);
        for (int i : new int[] {0, 4, 8, 8 + 4 * 50, good.length - 1}) {
            byte[] bad = good.clone();
            bad[i] ^= 0x04;
            Files.write(file, bad);
            assertNull(ErrorFeedback.persistent(file).residual(), "byte " + i + " changed: starts from zero");
        }
        Files.write(file, new byte[] {1, 2, 3});
        assertNull(ErrorFeedback.persistent(file).residual(), "a damaged file starts from zero");
    }

    @Test
    void anUploadThatIsNeverSentLeavesTheResidualAsItWas() {
        UpdateCodec codec = CodecRegistry.defaultRegistry().get("topk:0.1");
        ErrorFeedback ef = ErrorFeedback.inMemory();
        float[] u = new float[50];
        u[3] = 1;
        u[9] = -2;
        round(ef, codec, u);
        float[] kept = ef.residual();
        float[] meant = ef.apply(u);
        ef.stage(99, meant, new float[50]); // staged, never committed: the connection dropped
        assertArrayEquals(kept, ef.residual());
        ef.discardStaged();
        assertFalse(ef.commit(99), "a late acceptance after the drop commits nothing");
        assertArrayEquals(kept, ef.residual());
    }

    @Test
    void onlyTheAcceptanceOfTheStagedUploadCommitsItsResidual() {
        ErrorFeedback ef = ErrorFeedback.inMemory();
        float[] meant = {1, 2, 3};
        float[] decoded = {1, 0, 3};
        ef.stage(7, meant, decoded);
        assertFalse(ef.commit(8), "another transfer's acceptance");
        assertNull(ef.residual());
        ef.discard(8);
        assertTrue(ef.commit(7), "the refusal of another transfer leaves the staged residual");
        assertArrayEquals(new float[] {0, 2, 0}, ef.residual());

        ef.stage(9, new float[] {5, 5, 5}, new float[] {5, 5, 4});
        ef.discard(9);
        assertFalse(ef.commit(9), "a refused upload's residual is gone");
        assertArrayEquals(new float[] {0, 2, 0}, ef.residual(), "the residual carried before stays");

        ef.stage(10, new float[] {1, 1, 1}, new float[] {0, 1, 1});
        ef.stage(11, new float[] {2, 2, 2}, new float[] {2, 2, 0});
        assertFalse(ef.commit(10), "a newer staged upload replaced it");
        assertTrue(ef.commit(11));
        assertArrayEquals(new float[] {0, 0, 2}, ef.residual());
    }
}
