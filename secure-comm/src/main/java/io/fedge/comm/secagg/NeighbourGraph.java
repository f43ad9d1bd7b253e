package io.fedge.comm.secagg;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Who masks against whom in a secure-aggregation round (SecAgg+, Bell et al. 2020): instead of
 * every pair of clients, each client has {@code degree} neighbours, so a client's work and the
 * shares it sends grow with the logarithm of the round's size, not linearly. The graph is a Harary
 * graph (a ring where each client is joined to the {@code degree / 2} clients on either side) over
 * a random permutation of the clients, drawn by the coordinator per round.
 *
 * <p>Immutable.
 */
public final class NeighbourGraph {
    /**
     * The most neighbours a client gets, whatever the coordinator asks for: the default degree
     * reaches it at 65,536 clients, and it keeps a roster (one key set, signature and certificate
     * per neighbour) far under the frame limit ({@link SecAggBounds}).
     */
    public static final int MAX_DEGREE = 64;
    private final Map<String, List<String>> neighbours;
    private final int degree;

    private NeighbourGraph(Map<String, List<String>> neighbours, int degree) {
        this.neighbours = neighbours;
        this.degree = degree;
    }

    /**
     * The default degree for {@code n} clients: {@code 2 * ceil(2 * log2 n)}, at most {@code n - 1}
     * (the complete graph, which small rounds get) and at most {@link #MAX_DEGREE}. With a threshold just over half the degree, a
     * round of 100 clients (degree 28, threshold 15) survives 20% of its clients dropping except
     * with a probability of about 4e-4 per client (3.7 standard deviations).
     */
    public static int defaultDegree(int n) {
        if (n <= 1) {
            return 0;
        }
        int k = 2 * (int) Math.ceil(2 * Math.log(n) / Math.log(2));
        return Math.min(Math.min(n - 1, k), MAX_DEGREE);
    }

    /**
     * The Shamir threshold for a client with {@code degree} neighbours: {@code floor(fraction * degree) + 1}.
     * With a fraction of at least one half, no set of shares a coordinator can collect holds a
     * threshold of both a client's self-mask seed and its mask key.
     */
    public static int threshold(int degree, double fraction) {
        if (!(fraction >= 0.5 && fraction < 1)) {
            throw new IllegalArgumentException("threshold fraction must be in [0.5, 1): " + fraction);
        }
        return Math.min(degree, (int) Math.floor(fraction * degree) + 1);
    }

    /**
     * A graph over {@code ids} where each client has {@code degree} neighbours ({@code degree} is
     * rounded up to even unless it is {@code ids.size() - 1}, the complete graph).
     *
     * @throws IllegalArgumentException if {@code degree} is over {@code ids.size() - 1} or {@link #MAX_DEGREE}
     */
    public static NeighbourGraph harary(List<String> ids, int degree, Random random) {
        int n = ids.size();
        if (degree < 0 || degree > n - 1) {
            throw new IllegalArgumentException("degree must be in [0, " + (n - 1) + "]: " + degree);
        }
        if (degree < n - 1 && degree % 2 == 1) {
            degree++;
        }
        if (degree > MAX_DEGREE) {
            throw new IllegalArgumentException("degree " + degree + " is over the most neighbours, " + MAX_DEGREE);
        }
        List<String> ring = new ArrayList<>(ids);
        Collections.sort(ring);
        Collections.shuffle(ring, random);
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            TreeSet<String> mine = new TreeSet<>();
            if (degree == n - 1) {
                mine.addAll(ring);
                mine.remove(ring.get(i));
            } else {
                for (int d = 1; d <= degree / 2; d++) {
                    mine.add(ring.get(Math.floorMod(i + d, n)));
                    mine.add(ring.get(Math.floorMod(i - d, n)));
                }
            }
            out.put(ring.get(i), List.copyOf(mine));
        }
        return new NeighbourGraph(Map.copyOf(out), degree);
    }

    /** The neighbours of {@code id}, sorted; empty if it is not in the graph. */
    public List<String> neighbours(String id) {
        return neighbours.getOrDefault(id, List.of());
    }

    public boolean contains(String id) {
        return neighbours.containsKey(id);
    }

    public int degree() {
        return degree;
    }

    public int size() {
        return neighbours.size();
    }
}
