package io.fedge.data;

import io.fedge.core.model.InputShape;
import io.fedge.data.partition.PartitionSchemes;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionsTest {
    private static Examples classified(int[] labels, NaturalClients clients) {
        return Examples.ofFloats(new InputShape.Vector(1), new float[labels.length], ClassLabels.numbered(10, labels),
                clients);
    }

    private static int[] labels(int n) {
        int[] labels = new int[n];
        Random r = new Random(7);
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(10);
        }
        return labels;
    }

    private static long fingerprint(int[][] parts) {
        long h = 1125899906842597L;
        for (int[] p : parts) {
            h = 31 * h + p.length;
            for (int v : p) {
                h = 31 * h + v;
            }
        }
        return h;
    }

    /**
     * The splits fedge's partitioners gave before they moved into this module, computed with the
     * simulation module's classes of the commit before (io.fedge.simulation.partition, 2,000 labels
     * drawn from Random(7), 10 clients, Random(1), alpha 0.5): existing runs reproduce bit for bit.
     */
    @Test
    void eachSchemeGivesTheSplitItGaveBeforeTheMove() {
        int[] labels = labels(2000);
        Examples train = classified(labels, null);
        long[] expected = {-3013894126925390309L, -8210071346456266553L, 6166021473844309895L, -46907773779863899L};
        List<String> schemes = List.of("iid", "dirichlet", "shards", "labels2");
        for (int s = 0; s < schemes.size(); s++) {
            ClientPartition p = Partitions.split(train, Examples.range(0, 2000), schemes.get(s), 0.5, 10, new Random(1));
            assertEquals(expected[s], fingerprint(p.indices()), schemes.get(s));
        }
    }

    @Test
    void aPoolIsSplitAsItsLabelsAreAndMappedBackToTrainingIndices() {
        int[] labels = labels(300);
        Examples train = classified(labels, null);
        int[] pool = new int[100];
        int[] poolLabels = new int[100];
        for (int i = 0; i < 100; i++) {
            pool[i] = 3 * i + 1;
            poolLabels[i] = labels[pool[i]];
        }
        int[][] direct = PartitionSchemes.byName("dirichlet", 0.3).partition(poolLabels, 4, new Random(9));
        ClientPartition p = Partitions.split(train, pool, "dirichlet", 0.3, 4, new Random(9));
        for (int k = 0; k < 4; k++) {
            int[] mapped = new int[direct[k].length];
            for (int i = 0; i < mapped.length; i++) {
                mapped[i] = pool[direct[k][i]];
            }
            assertArrayEquals(mapped, p.of(k));
        }
        assertTrue(p.id(0).isEmpty());
    }

    @Test
    void theNaturalPartitionHasAClientPerIdInThePool() {
        // examples 0..5 of clients b, a, b, c, a, c; the pool leaves c's examples out
        NaturalClients named = new NaturalClients(List.of("a", "b", "c"), new int[] {1, 0, 1, 2, 0, 2});
        Examples train = classified(new int[] {0, 1, 2, 3, 4, 5}, named);
        ClientPartition p = Partitions.split(train, new int[] {0, 1, 2, 4}, "natural", 0.5, 99, new Random(1));
        assertEquals(2, p.clients());
        assertEquals("a", p.id(0).orElseThrow());
        assertArrayEquals(new int[] {1, 4}, p.of(0));
        assertArrayEquals(new int[] {0, 2}, p.of(1));
    }

    @Test
    void regressionDataSplitsIidOrNaturallyOnly() {
        Examples regression = Examples.ofFloats(new InputShape.Vector(1), new float[20],
                new RegressionTargets(List.of("y"), new float[20]), null);
        int[] pool = Examples.range(0, 20);
        ClientPartition iid = Partitions.split(regression, pool, "iid", 0.5, 4, new Random(3));
        int[][] direct = PartitionSchemes.byName("iid", 0.5).partition(new int[20], 4, new Random(3));
        for (int k = 0; k < 4; k++) {
            assertArrayEquals(direct[k], iid.of(k));
        }
        for (String s : new String[] {"dirichlet", "shards", "labels2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Partitions.split(regression, pool, s, 0.5, 4, new Random(3)));
            assertTrue(e.getMessage().contains("splits by class label, but the data is a regression"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Partitions.split(regression, pool, "natural", 0.5, 4, new Random(3)));
        assertTrue(e.getMessage().contains("--client-column"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Partitions.split(regression, pool, "random", 0.5, 4,
                new Random(3)));
    }
}
