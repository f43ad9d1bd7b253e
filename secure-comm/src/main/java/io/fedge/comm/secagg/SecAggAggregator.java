package io.fedge.comm.secagg;

import com.google.protobuf.ByteString;
import io.fedge.comm.proto.SecAggKeys;
import io.fedge.comm.proto.SecAggPeer;
import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRevealedShare;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggSealedShare;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The coordinator's side of one secure-aggregation round. It relays keys and encrypted shares
 * between neighbours, sums masked updates as they arrive in wrapping integer arithmetic (one
 * {@code long} per parameter, whatever the number of clients), and at the end rebuilds from
 * revealed shares the self-mask seeds of the survivors and the mask keys of the clients that
 * dropped out after sharing, removes their masks and decodes the example-weighted mean update.
 *
 * <p>It never sees an unmasked update, and never more than one kind of secret per client: a
 * survivor's mask key and a dropped client's self seed stay shared. Every stage has a minimum
 * below which the round aborts with {@link ErrorCode#SECURE_AGGREGATION_ABORTED} before anything
 * is revealed. Survivors that reveal wrong shares are outvoted: each secret is rebuilt from shares
 * that reproduce its owner's commitment or public key ({@link ShamirDecoder}), and the holders of
 * shares off the rebuilt polynomial are named in {@link #dishonestHolders()}.
 *
 * <p>Thread-safe: connection event loops deliver messages while the round thread moves the stages.
 */
public final class SecAggAggregator {
    private static final Logger log = LoggerFactory.getLogger(SecAggAggregator.class);
    /** The fewest clients a secure sum is taken over. */
    public static final int MIN_CLIENTS = 3;
    private static final int UNMASK_BLOCK = 1 << 14;

    private enum Stage { KEYS, SHARES, MASKED, UNMASK, DONE, ABORTED }

    private record Keys(PublicKey cipher, PublicKey mask, SecAggKeys wire) {
    }

    /**
     * The unmasked result: the weighted mean update over {@code survivors} clients of
     * {@code totalWeight} examples; {@code dishonestHolders} are the survivors that revealed shares
     * the reconstruction proved wrong (sorted; see {@link #dishonestHolders()}).
     */
    public record Result(float[] meanDelta, int survivors, long totalWeight, double errorBound,
                         SortedSet<String> dishonestHolders) {
    }

    private final long round;
    private final Set<String> selected;
    private final MaskedWords words;
    private final int parameterCount;
    private final int degreeLimit;
    private final double thresholdFraction;
    private final Random random;
    private Stage stage = Stage.KEYS;
    private final Map<String, Keys> keys = new TreeMap<>();
    private NeighbourGraph graph;
    private int threshold;
    private final Map<String, Integer> index = new HashMap<>();
    private final Map<String, byte[]> commitments = new TreeMap<>();
    /** Sealed shares by recipient, then sender. */
    private final Map<String, Map<String, ByteString>> inbox = new HashMap<>();
    private final Set<String> shared = new TreeSet<>();
    private final Map<String, Long> weights = new TreeMap<>();
    private long[] sum;
    private Set<String> survivors = Set.of();
    private Set<String> dropped = Set.of();
    private final Set<String> revealed = new TreeSet<>();
    /** Revealed shares by owner, in the order they arrived. */
    private final Map<String, List<ShamirSharing.Share>> shares = new HashMap<>();
    /** Whether an owner's first threshold of shares rebuilt its secret, once it had them. */
    private final Map<String, Boolean> firstSharesRebuild = new HashMap<>();
    /** Holders whose revealed shares were proved wrong, and whose secrets they were wrong about. */
    private final Map<String, Set<String>> wrongShares = new TreeMap<>();
    private long busyNanos;

    /**
     * @param degreeLimit the most neighbours a client gets; 0 for {@link NeighbourGraph#defaultDegree}
     * @param thresholdFraction the Shamir threshold as a fraction of the degree, in [0.5, 1)
     */
    public SecAggAggregator(long round, Collection<String> selected, MaskedWords words, int parameterCount,
                            int degreeLimit, double thresholdFraction, Random random) {
        NeighbourGraph.threshold(2, thresholdFraction); // validates the fraction
        this.round = round;
        this.selected = Set.copyOf(selected);
        this.words = words;
        this.parameterCount = parameterCount;
        this.degreeLimit = degreeLimit;
        this.thresholdFraction = thresholdFraction;
        this.random = random;
    }

    public long round() {
        return round;
    }

    public MaskedWords words() {
        return words;
    }

    /** Nanoseconds of work done so far (graph, relaying, folding, reconstruction, unmasking), waits excluded. */
    public synchronized long busyNanos() {
        return busyNanos;
    }

    // ---- stage 1: keys -------------------------------------------------------------------------

    /**
     * @throws FedgeException unless {@code id} is selected, in the key stage, and sends two valid,
     *     distinct keys once, every field within {@link SecAggBounds}
     */
    public synchronized void acceptKeys(String id, SecAggKeys msg) {
        checkRound(msg.getRound());
        require(Stage.KEYS, id, "keys");
        if (!selected.contains(id)) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, id + " was not selected for round " + round);
        }
        if (keys.containsKey(id)) {
            throw new FedgeException(ErrorCode.DUPLICATE_RESULT, id + " already sent its keys for round " + round);
        }
        SecAggBounds.checkClientId(id);
        SecAggBounds.checkKeys(msg);
        if (msg.getCipherPublicKey().equals(msg.getMaskPublicKey())) {
            throw new FedgeException(ErrorCode.MALFORMED, "the cipher and mask keys must differ");
        }
        keys.put(id, new Keys(SecAggCrypto.publicKeyOrThrow(msg.getCipherPublicKey()),
                SecAggCrypto.publicKeyOrThrow(msg.getMaskPublicKey()), msg));
    }

    /** Whether every selected client sent keys or is {@code gone}. */
    public synchronized boolean keysComplete(Predicate<String> gone) {
        return selected.stream().allMatch(id -> keys.containsKey(id) || gone.test(id));
    }

    /**
     * Ends the key stage: builds the neighbour graph over the clients that sent keys and returns
     * each one's roster.
     *
     * @throws FedgeException ({@link ErrorCode#SECURE_AGGREGATION_ABORTED}) if fewer than {@link #MIN_CLIENTS} did
     */
    public synchronized Map<String, SecAggRoster> closeKeys(Predicate<String> gone) {
        long t0 = System.nanoTime();
        require(Stage.KEYS, "the round", "closing the key stage");
        List<String> live = new ArrayList<>();
        for (String id : keys.keySet()) {
            if (!gone.test(id)) {
                live.add(id);
            }
        }
        if (live.size() < MIN_CLIENTS) {
            throw abort(live.size() + " clients sent keys; a secure sum needs at least " + MIN_CLIENTS);
        }
        int n = live.size();
        int wanted = degreeLimit > 0 ? Math.max(2, degreeLimit) : NeighbourGraph.defaultDegree(n);
        int degree = Math.min(n - 1, Math.min(NeighbourGraph.MAX_DEGREE, wanted));
        graph = NeighbourGraph.harary(live, degree, random);
        threshold = NeighbourGraph.threshold(graph.degree(), thresholdFraction);
        for (int i = 0; i < n; i++) {
            index.put(live.get(i), i + 1);
        }
        Map<String, SecAggRoster> out = new LinkedHashMap<>();
        for (String id : live) {
            SecAggRoster.Builder r = SecAggRoster.newBuilder().setRound(round).setThreshold(threshold).setIndex(index.get(id));
            for (String peer : graph.neighbours(id)) {
                Keys k = keys.get(peer);
                r.addPeers(SecAggPeer.newBuilder().setClientId(peer).setIndex(index.get(peer))
                        .setCipherPublicKey(k.wire().getCipherPublicKey()).setMaskPublicKey(k.wire().getMaskPublicKey())
                        .setSignature(k.wire().getSignature()).setCertificate(k.wire().getCertificate()));
            }
            out.put(id, r.build());
        }
        stage = Stage.SHARES;
        busyNanos += System.nanoTime() - t0;
        return out;
    }

    public synchronized int threshold() {
        return threshold;
    }

    public synchronized int degree() {
        return graph == null ? 0 : graph.degree();
    }

    // ---- stage 2: shares -----------------------------------------------------------------------

    /**
     * @throws FedgeException unless {@code id} is in the graph and sends, once, exactly one sealed
     *     share for each of its neighbours, each of the size a share seals to, and a 32-byte commitment
     */
    public synchronized void acceptShares(String id, SecAggShares msg) {
        long t0 = System.nanoTime();
        checkRound(msg.getRound());
        require(Stage.SHARES, id, "shares");
        if (graph == null || !graph.contains(id)) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, id + " is not in round " + round + "'s graph");
        }
        if (shared.contains(id)) {
            throw new FedgeException(ErrorCode.DUPLICATE_RESULT, id + " already sent its shares for round " + round);
        }
        List<String> neighbours = graph.neighbours(id);
        SecAggBounds.checkShares(msg, neighbours.size());
        Map<String, ByteString> byRecipient = new HashMap<>();
        for (SecAggSealedShare s : msg.getSharesList()) {
            if (!neighbours.contains(s.getPeer()) || byRecipient.put(s.getPeer(), s.getCiphertext()) != null) {
                throw new FedgeException(ErrorCode.MALFORMED, "share for " + s.getPeer()
                        + ", who is not a neighbour of " + id + " or got two");
            }
            SecAggBounds.checkSealedShare(s.getCiphertext(), id, s.getPeer(), index.get(s.getPeer()));
        }
        if (byRecipient.size() != neighbours.size()) {
            throw new FedgeException(ErrorCode.MALFORMED, id + " sent " + byRecipient.size() + " shares for "
                    + neighbours.size() + " neighbours");
        }
        for (Map.Entry<String, ByteString> e : byRecipient.entrySet()) {
            inbox.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(id, e.getValue());
        }
        commitments.put(id, msg.getSelfSeedCommitment().toByteArray());
        shared.add(id);
        busyNanos += System.nanoTime() - t0;
    }

    /** Whether every client in the graph shared or is {@code gone}. */
    public synchronized boolean sharesComplete(Predicate<String> gone) {
        return graph != null && index.keySet().stream().allMatch(id -> shared.contains(id) || gone.test(id));
    }

    /**
     * Ends the share stage: the clients that shared, less (repeatedly) any with fewer than the
     * threshold of such neighbours, are the round's committed clients; each gets the shares its
     * committed neighbours sent it. Their neighbours in that set are whom they mask against.
     *
     * @throws FedgeException ({@link ErrorCode#SECURE_AGGREGATION_ABORTED}) if fewer than {@link #MIN_CLIENTS} remain
     */
    public synchronized Map<String, SecAggShares> closeShares(Predicate<String> gone) {
        long t0 = System.nanoTime();
        require(Stage.SHARES, "the round", "closing the share stage");
        Set<String> committed = new TreeSet<>();
        for (String id : shared) {
            if (!gone.test(id)) {
                committed.add(id);
            }
        }
        boolean changed = true;
        while (changed) {
            changed = committed.removeIf(id -> countIn(graph.neighbours(id), committed) < threshold);
        }
        if (committed.size() < MIN_CLIENTS) {
            throw abort(committed.size() + " clients committed with enough neighbours; need at least " + MIN_CLIENTS);
        }
        shared.retainAll(committed);
        Map<String, SecAggShares> out = new LinkedHashMap<>();
        for (String v : committed) {
            SecAggShares.Builder b = SecAggShares.newBuilder().setRound(round);
            for (Map.Entry<String, ByteString> e : inbox.getOrDefault(v, Map.of()).entrySet()) {
                if (committed.contains(e.getKey())) {
                    b.addShares(SecAggSealedShare.newBuilder().setPeer(e.getKey()).setCiphertext(e.getValue()));
                }
            }
            out.put(v, b.build());
        }
        inbox.clear();
        stage = Stage.MASKED;
        busyNanos += System.nanoTime() - t0;
        return out;
    }

    /** The clients whose masked updates the round waits for. */
    public synchronized Set<String> committed() {
        return Set.copyOf(shared);
    }

    // ---- stage 3: masked updates ---------------------------------------------------------------

    /** Bytes a masked update of this round occupies, chunk framing and sealing aside. */
    public long maskedBytes() {
        return (long) parameterCount * words.wordBytes();
    }

    /**
     * Adds a committed client's masked update to the sum. All chunks are checked before any is added.
     *
     * @throws FedgeException if the client is not committed or already folded, or a chunk has the wrong size
     */
    public synchronized void fold(String id, long numExamples, List<byte[]> chunks, int perChunk) {
        List<java.nio.ByteBuffer> buffers = new ArrayList<>(chunks.size());
        for (byte[] c : chunks) {
            buffers.add(java.nio.ByteBuffer.wrap(c));
        }
        foldBuffers(id, numExamples, buffers, perChunk);
    }

    /** As {@link #fold}, reading each chunk from its buffer's position to its limit, without copying. */
    public synchronized void foldBuffers(String id, long numExamples, List<java.nio.ByteBuffer> chunks, int perChunk) {
        long t0 = System.nanoTime();
        require(Stage.MASKED, id, "a masked update");
        if (!shared.contains(id)) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, id + " did not commit to round " + round);
        }
        if (weights.containsKey(id)) {
            throw new FedgeException(ErrorCode.DUPLICATE_RESULT, id + "'s masked update is already in the sum");
        }
        if (numExamples <= 0) {
            throw new FedgeException(ErrorCode.MALFORMED, "update reports " + numExamples + " examples");
        }
        long expectedChunks = (parameterCount + (long) perChunk - 1) / perChunk;
        if (perChunk <= 0 || chunks.size() != expectedChunks) {
            throw new FedgeException(ErrorCode.SHAPE_MISMATCH, chunks.size() + " chunks of " + perChunk
                    + " cannot carry " + parameterCount + " masked values");
        }
        for (int c = 0; c < chunks.size(); c++) {
            int n = Math.min(perChunk, parameterCount - c * perChunk);
            if (chunks.get(c).remaining() != n * words.wordBytes()) {
                throw new FedgeException(ErrorCode.SHAPE_MISMATCH, "masked chunk " + c + " is " + chunks.get(c).remaining()
                        + " bytes, " + n * words.wordBytes() + " expected");
            }
        }
        if (sum == null) {
            sum = new long[parameterCount];
        }
        for (int c = 0; c < chunks.size(); c++) {
            int n = Math.min(perChunk, parameterCount - c * perChunk);
            words.addTo(sum, c * perChunk, chunks.get(c), n);
        }
        weights.put(id, words.weight(numExamples));
        busyNanos += System.nanoTime() - t0;
    }

    /** How many masked updates are in the sum. */
    public synchronized int folded() {
        return weights.size();
    }

    // ---- stage 4: unmasking --------------------------------------------------------------------

    /**
     * Ends the masked stage: the request every survivor gets. Before anything is revealed it checks
     * that every committed client has at least the threshold of surviving neighbours to rebuild its
     * secret from.
     *
     * @throws FedgeException ({@link ErrorCode#SECURE_AGGREGATION_ABORTED}) if too many dropped out
     */
    public synchronized SecAggUnmask closeMasked() {
        require(Stage.MASKED, "the round", "closing the masked stage");
        Set<String> s = new TreeSet<>(weights.keySet());
        if (s.size() < Math.max(MIN_CLIENTS, threshold)) {
            throw abort(s.size() + " masked updates arrived; the round needs at least "
                    + Math.max(MIN_CLIENTS, threshold));
        }
        for (String id : shared) {
            int holders = countIn(graph.neighbours(id), s);
            if (holders < threshold) {
                throw abort(id + " has " + holders + " surviving neighbours, fewer than the threshold " + threshold
                        + ": its secret could not be rebuilt");
            }
        }
        survivors = Set.copyOf(s);
        Set<String> d = new TreeSet<>(shared);
        d.removeAll(s);
        dropped = Set.copyOf(d);
        stage = Stage.UNMASK;
        return SecAggUnmask.newBuilder().setRound(round).addAllSurvivors(s).addAllDropped(d).build();
    }

    /** Whether every client's keys came signed with a certificate: the unmask stage then starts with a consistency check. */
    public synchronized boolean authenticated() {
        return !keys.isEmpty() && keys.values().stream()
                .allMatch(k -> !k.wire().getSignature().isEmpty() && !k.wire().getCertificate().isEmpty());
    }

    private final Map<String, io.fedge.comm.proto.SecAggListSignature> listSignatures = new TreeMap<>();

    /** A survivor's signature over the lists of the consistency check (not verified here: clients check them). */
    public synchronized void acceptListSignature(String id, io.fedge.comm.proto.SecAggListSignature msg) {
        checkRound(msg.getRound());
        require(Stage.UNMASK, id, "a survivor-list signature");
        if (!survivors.contains(id)) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, id + " is not a survivor of round " + round);
        }
        SecAggBounds.checkListSignature(msg);
        if (listSignatures.containsKey(id)) {
            throw new FedgeException(ErrorCode.DUPLICATE_RESULT, id + " already signed the survivor list");
        }
        listSignatures.put(id, msg.toBuilder().setClientId(id).setCertificate(keys.get(id).wire().getCertificate()).build());
    }

    /** Whether every survivor signed the lists or is {@code gone}. */
    public synchronized boolean listSignaturesComplete(Predicate<String> gone) {
        return survivors.stream().allMatch(id -> listSignatures.containsKey(id) || gone.test(id));
    }

    /**
     * The reveal request carrying the survivors' signatures over its lists.
     *
     * @throws FedgeException ({@link ErrorCode#SECURE_AGGREGATION_ABORTED}) if fewer than the threshold signed
     */
    public synchronized SecAggUnmask signedRequest(SecAggUnmask request) {
        if (listSignatures.size() < threshold) {
            throw abort("only " + listSignatures.size() + " survivors signed the survivor list, the threshold is "
                    + threshold);
        }
        return request.toBuilder().setConsistencyCheck(false).addAllSignatures(listSignatures.values()).build();
    }

    public synchronized Set<String> survivors() {
        return survivors;
    }

    public synchronized Set<String> dropped() {
        return dropped;
    }

    /**
     * @throws FedgeException unless {@code id} survived, answers once, and each share is for one of its
     *     committed neighbours, of the kind that neighbour's fate calls for, at its own point, and a
     *     field element; nothing of a refused answer is kept
     */
    public synchronized void acceptReveal(String id, SecAggReveal msg) {
        long t0 = System.nanoTime();
        checkRound(msg.getRound());
        if (stage == Stage.DONE && survivors.contains(id)) {
            return; // the secrets were rebuilt from the shares that came first; the rest are not needed
        }
        require(Stage.UNMASK, id, "revealed shares");
        if (!survivors.contains(id)) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, id + " is not a survivor of round " + round);
        }
        if (revealed.contains(id)) {
            throw new FedgeException(ErrorCode.DUPLICATE_RESULT, id + " already revealed its shares");
        }
        List<String> neighbours = graph.neighbours(id);
        SecAggBounds.checkReveal(msg, neighbours.size());
        Map<String, ShamirSharing.Share> got = new HashMap<>();
        for (SecAggRevealedShare s : msg.getSharesList()) {
            String owner = s.getOwner();
            if (!neighbours.contains(owner) || !shared.contains(owner) || got.containsKey(owner)) {
                throw new FedgeException(ErrorCode.MALFORMED, id + " reveals a share of " + owner
                        + ", not a committed neighbour, or twice");
            }
            if (s.getSelfSeed() != survivors.contains(owner)) {
                throw new FedgeException(ErrorCode.MALFORMED, id + " reveals the wrong secret of " + owner);
            }
            if (s.getX() != index.get(id)) {
                throw new FedgeException(ErrorCode.MALFORMED, id + " reveals a share at point " + s.getX()
                        + ", its point is " + index.get(id));
            }
            got.put(owner, new ShamirSharing.Share(s.getX(), SecAggCrypto.fieldElement(s.getY().toByteArray())));
        }
        revealed.add(id);
        for (Map.Entry<String, ShamirSharing.Share> e : got.entrySet()) {
            shares.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        }
        busyNanos += System.nanoTime() - t0;
    }

    /**
     * Whether every committed client's secret is rebuilt by the first threshold of its shares, or
     * every live survivor answered. When a wrong share is among the first, the round waits for
     * everyone: every share more is a wrong share more that {@link #finish} can outvote.
     */
    public synchronized boolean revealsComplete(Predicate<String> gone) {
        long t0 = System.nanoTime();
        boolean enough = shared.stream().allMatch(this::firstSharesRebuild);
        busyNanos += System.nanoTime() - t0;
        return enough || survivors.stream().allMatch(id -> revealed.contains(id) || gone.test(id));
    }

    private boolean firstSharesRebuild(String owner) {
        List<ShamirSharing.Share> got = shares.getOrDefault(owner, List.of());
        if (got.size() < threshold) {
            return false;
        }
        // the first threshold of shares never change once there: one check per owner
        return firstSharesRebuild.computeIfAbsent(owner,
                o -> ShamirDecoder.firstSharesRebuild(got, threshold, 32, recogniser(o)));
    }

    /** What recognises {@code owner}'s secret: its commitment if it survived, its mask public key if it dropped. */
    private Predicate<byte[]> recogniser(String owner) {
        if (survivors.contains(owner)) {
            byte[] commitment = commitments.get(owner);
            return secret -> MessageDigest.isEqual(SecAggClient.commitment(secret), commitment);
        }
        PublicKey mask = keys.get(owner).mask();
        return secret -> SecAggCrypto.matches(secret, mask);
    }

    /**
     * The survivors that revealed a share the reconstruction proved wrong (they do not lie on the
     * polynomial that rebuilt the owner's secret, and enough shares agree on it that the polynomial
     * is the owner's): dishonest clients the coordinator may fail or ban. Filled by {@link #finish},
     * also when it aborts; sorted.
     */
    public synchronized SortedSet<String> dishonestHolders() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(wrongShares.keySet()));
    }

    /**
     * Rebuilds the secrets, removes every mask and decodes the weighted mean update.
     *
     * Every secret is rebuilt, from shares that reproduce its owner's commitment or public key,
     * before any mask is removed.
     *
     * @throws FedgeException ({@link ErrorCode#SECURE_AGGREGATION_ABORTED}) if a secret has too few
     *     shares, or no threshold of its shares that {@link ShamirDecoder} tries rebuilds what its
     *     owner committed to
     */
    public synchronized Result finish() {
        long t0 = System.nanoTime();
        require(Stage.UNMASK, "the round", "finishing");
        try {
            List<byte[]> selfSeeds = new ArrayList<>();
            Map<String, PrivateKey> droppedKeys = new TreeMap<>();
            for (Map.Entry<String, byte[]> e : rebuildSecrets().entrySet()) {
                if (survivors.contains(e.getKey())) {
                    selfSeeds.add(e.getValue());
                } else {
                    droppedKeys.put(e.getKey(), SecAggCrypto.privateKey(e.getValue()));
                }
            }
            for (byte[] seed : selfSeeds) {
                subtract(new MaskStream(seed), 1);
            }
            for (Map.Entry<String, PrivateKey> d : droppedKeys.entrySet()) {
                String u = d.getKey();
                for (String v : graph.neighbours(u)) {
                    if (!survivors.contains(v)) {
                        continue;
                    }
                    byte[] seed = PairwiseMasks.pairSeed(d.getValue(), keys.get(v).mask(), u, v, round);
                    subtract(new MaskStream(seed), PairwiseMasks.sign(v, u));
                }
            }
            long totalWeight = 0;
            for (long w : weights.values()) {
                totalWeight += w;
            }
            float[] mean = new float[parameterCount];
            for (int i = 0; i < parameterCount; i++) {
                mean[i] = (float) words.decodeMean(sum[i], totalWeight);
            }
            stage = Stage.DONE;
            return new Result(mean, survivors.size(), totalWeight, words.meanErrorBound(survivors.size(), totalWeight),
                    dishonestHolders());
        } finally {
            sum = null;
            busyNanos += System.nanoTime() - t0;
        }
    }

    /**
     * Every committed client's secret, by owner. Holders proved wrong about one secret have their
     * shares of the others set aside (while a threshold remain), so a liar caught once costs one
     * full decoding, and secrets that failed are tried again once more liars are known.
     */
    private Map<String, byte[]> rebuildSecrets() {
        for (String owner : shared) {
            int got = shares.getOrDefault(owner, List.of()).size();
            if (got < threshold) {
                throw abort("only " + got + " shares of " + owner + "'s secret arrived, the threshold is " + threshold);
            }
        }
        Map<Integer, String> holderAt = new HashMap<>();
        index.forEach((id, x) -> holderAt.put(x, id));
        Map<String, byte[]> rebuilt = new TreeMap<>();
        Set<String> pending = new TreeSet<>(shared);
        int unattributed = 0;
        int liarsBefore = -1;
        while (!pending.isEmpty() && wrongShares.size() != liarsBefore) {
            liarsBefore = wrongShares.size();
            for (Iterator<String> it = pending.iterator(); it.hasNext(); ) {
                String owner = it.next();
                List<ShamirSharing.Share> all = shares.get(owner);
                List<ShamirSharing.Share> trusted = new ArrayList<>();
                for (ShamirSharing.Share s : all) {
                    if (!wrongShares.containsKey(holderAt.get(s.x()))) {
                        trusted.add(s);
                    }
                }
                Optional<ShamirDecoder.Decoded> d = ShamirDecoder.decode(trusted.size() >= threshold ? trusted : all,
                        threshold, 32, recogniser(owner));
                if (d.isPresent()) {
                    it.remove();
                    rebuilt.put(owner, d.get().secret());
                    unattributed += d.get().unattributed();
                    for (ShamirSharing.Share w : d.get().wrong()) {
                        wrongShares.computeIfAbsent(holderAt.get(w.x()), k -> new TreeSet<>()).add(owner);
                    }
                }
            }
        }
        wrongShares.forEach((holder, owners) -> log.warn("secure aggregation of round {}: {} revealed wrong shares of "
                + "{}'s secrets; it is dishonest", round, holder, owners));
        if (unattributed > 0) {
            log.warn("secure aggregation of round {}: {} more wrong shares were outvoted but too many were wrong to "
                    + "tell whose", round, unattributed);
        }
        if (!pending.isEmpty()) {
            String owner = pending.iterator().next();
            throw abort("no " + threshold + " of the " + shares.get(owner).size() + " shares of " + owner + "'s "
                    + (survivors.contains(owner) ? "self-mask seed" : "mask key") + " rebuild what it committed to"
                    + (pending.size() > 1 ? " (nor for " + (pending.size() - 1) + " more clients)" : "")
                    + ": too many of them are wrong");
        }
        return rebuilt;
    }

    /** Drops the round's secrets and sum; later messages are refused. */
    public synchronized void abandon() {
        stage = Stage.ABORTED;
        sum = null;
        shares.clear();
        inbox.clear();
    }

    private void subtract(MaskStream stream, long sign) {
        for (int from = 0; from < parameterCount; from += UNMASK_BLOCK) {
            stream.addTo(sum, from, from, Math.min(UNMASK_BLOCK, parameterCount - from), -sign);
        }
    }

    private static int countIn(List<String> ids, Set<String> set) {
        int n = 0;
        for (String id : ids) {
            if (set.contains(id)) {
                n++;
            }
        }
        return n;
    }

    private FedgeException abort(String reason) {
        stage = Stage.ABORTED;
        sum = null;
        return new FedgeException(ErrorCode.SECURE_AGGREGATION_ABORTED, "secure aggregation of round " + round
                + " aborted: " + reason);
    }

    private void require(Stage expected, String who, String what) {
        if (stage != expected) {
            throw new FedgeException(stage == Stage.ABORTED ? ErrorCode.SECURE_AGGREGATION_ABORTED : ErrorCode.LATE_RESULT,
                    what + " from " + who + " in secure-aggregation stage " + stage + " of round " + round);
        }
    }

    private void checkRound(long r) {
        if (r != round) {
            throw new FedgeException(ErrorCode.WRONG_ROUND, "secure-aggregation message for round " + r
                    + ", the current round is " + round);
        }
    }
}
