package io.fedge.data.partition;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * NIID-Bench's quantity-based label imbalance ("#C=k", Li et al. 2022, "Federated Learning on
 * Non-IID Data Silos: An Experimental Study"): each client holds exactly {@code k} distinct labels,
 * client {@code i}'s first label being {@code i mod classes} and the others drawn at random; the
 * examples of each label are shuffled and split as evenly as possible among the clients that hold
 * it. A label no client drew is dropped. Immutable and thread-safe.
 *
 * @param labelsPerClient k, from 1 to the number of classes
 */
public record LabelQuantityPartitioner(int labelsPerClient) implements Partitioner {
    public LabelQuantityPartitioner {
        if (labelsPerClient <= 0) {
            throw new IllegalArgumentException("labelsPerClient must be positive: " + labelsPerClient);
        }
    }

    @Override
    public int[][] partition(int[] labels, int numClients, Random rng) {
        PartitionArguments.check(labels, numClients, rng);
        int classes = Arrays.stream(labels).max().orElse(0) + 1;
        if (labelsPerClient > classes) {
            throw new IllegalArgumentException(labelsPerClient + " labels per client, but the data has only "
                    + classes + " classes");
        }
        List<List<Integer>> holders = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            holders.add(new ArrayList<>());
        }
        for (int i = 0; i < numClients; i++) {
            boolean[] has = new boolean[classes];
            int first = i % classes;
            has[first] = true;
            holders.get(first).add(i);
            for (int j = 1; j < labelsPerClient; ) {
                int c = rng.nextInt(classes);
                if (!has[c]) {
                    has[c] = true;
                    holders.get(c).add(i);
                    j++;
                }
            }
        }
        List<List<Integer>> parts = new ArrayList<>();
        for (int i = 0; i < numClients; i++) {
            parts.add(new ArrayList<>());
        }
        for (int c = 0; c < classes; c++) {
            List<Integer> who = holders.get(c);
            if (who.isEmpty()) {
                continue;
            }
            List<Integer> ofClass = new ArrayList<>();
            for (int x = 0; x < labels.length; x++) {
                if (labels[x] == c) {
                    ofClass.add(x);
                }
            }
            int[] perm = Permutation.of(ofClass.size(), rng);
            // array_split: the first (size mod holders) holders get one more
            int n = ofClass.size();
            int h = who.size();
            int from = 0;
            for (int k = 0; k < h; k++) {
                int take = n / h + (k < n % h ? 1 : 0);
                for (int t = from; t < from + take; t++) {
                    parts.get(who.get(k)).add(ofClass.get(perm[t]));
                }
                from += take;
            }
        }
        int[][] out = new int[numClients][];
        for (int i = 0; i < numClients; i++) {
            out[i] = parts.get(i).stream().mapToInt(Integer::intValue).sorted().toArray();
            if (out[i].length == 0) {
                throw new IllegalArgumentException("client " + i + " got no examples: too few examples of its labels");
            }
        }
        return out;
    }
}
