package io.fedge.comm.secagg;

import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One simulated secure-aggregation round of round number 7 for the protocol tests: real
 * {@link SecAggClient}s and a {@link SecAggAggregator}, messages handed across as the coordinator
 * relays them, with the clients, their updates and example counts kept for checking.
 */
final class SecAggTestRound {
    static final long ROUND = 7;
    static final int PARAMS = 3_000;
    static final int PER_CHUNK = 700; // not a divisor of PARAMS: a short last chunk
    static final Predicate<String> NOBODY_GONE = id -> false;

    final Map<String, SecAggClient> clients = new LinkedHashMap<>();
    final Map<String, float[]> deltas = new LinkedHashMap<>();
    final Map<String, Long> examples = new LinkedHashMap<>();
    final Map<String, List<byte[]>> uploads = new LinkedHashMap<>();
    final SecAggAggregator aggregator;
    final MaskedWords words;

    /** {@code n} clients with the default degree; the same {@code seed} gives the same updates and graph. */
    SecAggTestRound(int n, int wordBits, long seed) {
        this(n, wordBits, seed, 0);
    }

    SecAggTestRound(int n, int wordBits, long seed, int degreeLimit) {
        Random r = new Random(seed);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("client-%03d", i);
            ids.add(id);
            float[] d = new float[PARAMS];
            for (int p = 0; p < PARAMS; p++) {
                d[p] = (float) (r.nextGaussian() * 0.05);
            }
            deltas.put(id, d);
            examples.put(id, 50L + r.nextInt(600));
        }
        words = MaskedWords.forRound(wordBits, 1.0, 650, n);
        aggregator = new SecAggAggregator(ROUND, ids, words, PARAMS, degreeLimit, 0.5, new Random(seed + 1));
        SecureRandom sr = new SecureRandom();
        for (String id : ids) {
            clients.put(id, new SecAggClient(id, ROUND, words, sr));
        }
    }

    /** Runs keys and shares; the {@code silent} clients send nothing at all. Returns the committed clients. */
    Set<String> commit(Set<String> silent) {
        for (Map.Entry<String, SecAggClient> e : clients.entrySet()) {
            if (!silent.contains(e.getKey())) {
                aggregator.acceptKeys(e.getKey(), e.getValue().advertise());
            }
        }
        Map<String, SecAggRoster> rosters = aggregator.closeKeys(NOBODY_GONE);
        for (Map.Entry<String, SecAggRoster> e : rosters.entrySet()) {
            aggregator.acceptShares(e.getKey(), clients.get(e.getKey()).share(e.getValue()));
        }
        Map<String, SecAggShares> forwarded = aggregator.closeShares(NOBODY_GONE);
        for (Map.Entry<String, SecAggShares> e : forwarded.entrySet()) {
            clients.get(e.getKey()).receive(e.getValue());
        }
        return forwarded.keySet();
    }

    /** Masks and folds the update of every committed client except {@code droppedAfterCommit}. */
    void upload(Set<String> committed, Set<String> droppedAfterCommit) {
        for (String id : committed) {
            if (droppedAfterCommit.contains(id)) {
                continue;
            }
            List<byte[]> chunks = clients.get(id).mask(deltas.get(id), examples.get(id), PER_CHUNK);
            uploads.put(id, chunks);
            aggregator.fold(id, examples.get(id), chunks, PER_CHUNK);
        }
    }

    SecAggAggregator.Result unmask() {
        return unmask(Map.of());
    }

    /** Every survivor reveals, in order, its answer passed through {@code liars.get(id)} if it has one. */
    SecAggAggregator.Result unmask(Map<String, UnaryOperator<SecAggReveal>> liars) {
        SecAggUnmask request = aggregator.closeMasked();
        for (String id : request.getSurvivorsList()) {
            SecAggReveal reveal = clients.get(id).reveal(request);
            aggregator.acceptReveal(id, liars.getOrDefault(id, UnaryOperator.identity()).apply(reveal));
        }
        assertTrue(aggregator.revealsComplete(NOBODY_GONE));
        return aggregator.finish();
    }

    /** The weighted mean over {@code ids}, in double, from the unclipped updates. */
    double[] plainMean(Set<String> ids) {
        double[] sum = new double[PARAMS];
        long total = 0;
        for (String id : ids) {
            long w = words.weight(examples.get(id));
            total += w;
            float[] d = deltas.get(id);
            for (int p = 0; p < PARAMS; p++) {
                sum[p] += (double) d[p] * w;
            }
        }
        for (int p = 0; p < PARAMS; p++) {
            sum[p] /= total;
        }
        return sum;
    }
}
