package io.fedge.data;

import io.fedge.core.metrics.Task;
import io.fedge.data.partition.PartitionSchemes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

/**
 * Splits a training set among clients by a scheme's name: the drawn schemes of
 * {@link PartitionSchemes} ({@code iid}, {@code dirichlet}, {@code shards}, {@code labels2}) or
 * {@code natural}, a client per id the data names (a CSV column, a folder level). Regression data
 * can be split {@code iid} or {@code natural}; the other schemes split by class label and refuse it.
 *
 * <pre>{@code
 * ClientPartition parts = Partitions.split(train, Examples.range(0, train.size()), "dirichlet", 0.5, 100,
 *         new Random(seed));
 * }</pre>
 */
public final class Partitions {
    /** The scheme that takes the clients from the data. */
    public static final String NATURAL = "natural";

    /** Every scheme {@link #split} accepts. */
    public static final List<String> NAMES;

    static {
        List<String> names = new ArrayList<>(PartitionSchemes.NAMES);
        names.add(NATURAL);
        NAMES = List.copyOf(names);
    }

    private Partitions() {
    }

    /**
     * Splits the examples at {@code pool} (indices into {@code train}, the examples clients may
     * hold) among clients. A drawn scheme consumes {@code rng} exactly as
     * {@link io.fedge.data.partition.Partitioner#partition} on the pool's labels does, so a seed gives
     * the same split it always gave; {@code natural} ignores {@code clients} and {@code rng} and
     * gives each id with an example in the pool a client, in id order.
     *
     * @return the partition, with indices into {@code train}
     * @throws IllegalArgumentException if the scheme is unknown, splits by label but the data is a
     *     regression, is {@code natural} but the data names no clients, or cannot split the pool
     */
    public static ClientPartition split(Examples train, int[] pool, String scheme, double alpha, int clients,
                                        Random rng) {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(pool, "pool");
        String name = Objects.requireNonNull(scheme, "scheme").toLowerCase(Locale.ROOT);
        if (name.equals(NATURAL)) {
            return natural(train, pool);
        }
        if (!PartitionSchemes.NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown partition scheme '" + scheme + "', expected one of " + NAMES);
        }
        int[] labels = new int[pool.length];
        if (train.task() == Task.CLASSIFICATION) {
            ClassLabels classes = train.classLabels();
            for (int i = 0; i < pool.length; i++) {
                labels[i] = classes.label(pool[i]);
            }
        } else if (!name.equals("iid")) {
            throw new IllegalArgumentException("partition '" + name + "' splits by class label, but the data is a "
                    + "regression (targets " + train.outputNames() + "); split it iid or natural");
        }
        int[][] parts = PartitionSchemes.byName(name, alpha).partition(labels, clients, rng);
        for (int[] part : parts) {
            for (int i = 0; i < part.length; i++) {
                part[i] = pool[part[i]];
            }
        }
        return new ClientPartition(null, parts);
    }

    private static ClientPartition natural(Examples train, int[] pool) {
        NaturalClients named = train.clients().orElseThrow(() -> new IllegalArgumentException(
                "partition 'natural' takes the clients from the data, but it names none: give a CSV's client column "
                        + "(--client-column) or image folders laid out as ROOT/<client>/<class>/<file>"));
        int[] counts = new int[named.ids().size()];
        for (int i : pool) {
            counts[named.client(i)]++;
        }
        int[] clientIndex = new int[counts.length];
        List<String> ids = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            clientIndex[c] = counts[c] > 0 ? ids.size() : -1;
            if (counts[c] > 0) {
                ids.add(named.ids().get(c));
            }
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("no examples to split among the data's clients");
        }
        int[][] parts = new int[ids.size()][];
        int[] filled = new int[ids.size()];
        for (int c = 0; c < counts.length; c++) {
            if (clientIndex[c] >= 0) {
                parts[clientIndex[c]] = new int[counts[c]];
            }
        }
        for (int i : pool) {
            int k = clientIndex[named.client(i)];
            parts[k][filled[k]++] = i;
        }
        for (int[] part : parts) {
            Arrays.sort(part);
        }
        return new ClientPartition(ids, parts);
    }
}
