package io.fedge.client;

import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Local training depends on the model, the data and the task's seed alone: not on the rounds a
 * client trained before (a restarted client trains as an uninterrupted one), nor on the other
 * clients a training thread served (a simulation's threads reuse their buffers).
 */
class LocalTrainerTest {
    private static LabeledImages train;
    private static GlobalModel model;

    @BeforeAll
    static void load() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(500);
        model = Dl4jModels.initialModel(ModelPresets.mlp(5, 0.05));
    }

    private static LocalTrainer trainer(int from, int size) {
        int[] idx = new int[size];
        for (int i = 0; i < size; i++) {
            idx[i] = from + i;
        }
        return new LocalTrainer(train.toDataSet(idx));
    }

    private static float[] onFreshThread(java.util.concurrent.Callable<float[]> work) throws Exception {
        ExecutorService t = Executors.newSingleThreadExecutor();
        try {
            return t.submit(work).get();
        } finally {
            t.shutdownNow();
        }
    }

    @Test
    void anEpochsOrderIsAFunctionOfItsSeedAloneWhateverRanBeforeOnTheThread() throws Exception {
        LocalTrainer small = trainer(0, 200);
        float[] alone = onFreshThread(() -> small.train(model, 2, 32, 0.05, 42).delta());
        float[] afterOthers = onFreshThread(() -> {
            trainer(200, 300).train(model, 1, 32, 0.05, 7);   // a larger client first: the buffers grow
            small.train(model, 1, 32, 0.05, 99);              // and this client's own earlier round
            return small.train(model, 2, 32, 0.05, 42).delta();
        });
        assertArrayEquals(alone, afterOthers, 0f, "bit for bit");
        float[] otherSeed = onFreshThread(() -> small.train(model, 2, 32, 0.05, 43).delta());
        assertEquals(false, java.util.Arrays.equals(alone, otherSeed), "the seed does choose the order");
    }

    @Test
    void permutationsAreFisherYatesOfTheSeed() {
        int[] p = LocalTrainer.permutation(10, 1);
        int[] sorted = p.clone();
        java.util.Arrays.sort(sorted);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted);
        // the same draws by hand: java.util.Random(1).nextInt(i + 1) for i = 9 .. 1, swapping
        java.util.Random r = new java.util.Random(1);
        int[] q = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        for (int i = 9; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = q[i];
            q[i] = q[j];
            q[j] = t;
        }
        assertArrayEquals(q, p);
    }
}
