package io.fedge.comm.secagg;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.SecAggKeys;
import io.fedge.comm.proto.SecAggPeer;
import io.fedge.comm.proto.SecAggReveal;
import io.fedge.comm.proto.SecAggRevealedShare;
import io.fedge.comm.proto.SecAggRoster;
import io.fedge.comm.proto.SecAggSealedShare;
import io.fedge.comm.proto.SecAggShares;
import io.fedge.comm.proto.SecAggSharePlain;
import io.fedge.comm.proto.SecAggUnmask;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One client's side of one secure-aggregation round (Bonawitz et al. 2017, with the neighbour
 * graph of SecAgg+):
 * <ol>
 *   <li>{@link #advertise}: two fresh X25519 key pairs, one for the share channel, one for masks;</li>
 *   <li>{@link #share}: given its neighbours, Shamir-shares its self-mask seed and mask key among
 *       them, each share pair encrypted to its holder, and commits to the seed;</li>
 *   <li>{@link #receive}: opens the shares its neighbours sent and agrees a pairwise mask seed with
 *       each of them;</li>
 *   <li>{@link #mask}: encodes the update to fixed point and adds the self mask and the pairwise
 *       masks, chunk by chunk;</li>
 *   <li>{@link #reveal}: told who survived and who dropped, reveals for each neighbour either the
 *       share of its self seed or of its mask key, never both, and only once.</li>
 * </ol>
 * Each step checks what the coordinator sent and refuses, with
 * {@link ErrorCode#SECURE_AGGREGATION_ABORTED} or {@link ErrorCode#MALFORMED}, anything that would
 * make it reveal more than the protocol allows.
 *
 * <p>Thread-safe: the connection's event loop and the training thread both call it.
 */
public final class SecAggClient {
    private enum Stage { ADVERTISED, SHARED, READY, REVEALED }

    private final String id;
    private final long round;
    private final MaskedWords words;
    private final SecureRandom random;
    private final KeyPair cipherKeys = UpdateSealer.newKeyPair();
    private final KeyPair maskKeys = UpdateSealer.newKeyPair();
    private final byte[] selfSeed = new byte[32];
    private final SecAggIdentity identity;
    private Stage stage = Stage.ADVERTISED;
    private int index;
    private int threshold;
    private final Map<String, SecAggPeer> peers = new TreeMap<>();
    /** Shares this client holds, by owner: x, then the self-seed share and the mask-key share. */
    private final Map<String, SecAggSharePlain> held = new TreeMap<>();
    /** The pairwise mask seed with each neighbour that shared, by id. */
    private final Map<String, byte[]> pairSeeds = new LinkedHashMap<>();
    private long busyNanos;
    /** The survivor and dropped lists this client signed in the consistency check, or null. */
    private Set<String> signedSurvivors;
    private Set<String> signedDropped;

    public SecAggClient(String id, long round, MaskedWords words, SecureRandom random) {
        this(id, round, words, random, null);
    }

    /**
     * @param identity this client's certificate identity: it signs its keys, and requires every
     *     neighbour's keys signed by a certificate of the same CA naming that neighbour; null for
     *     neither (a coordinator could then substitute keys: honest-but-curious model only)
     */
    public SecAggClient(String id, long round, MaskedWords words, SecureRandom random, SecAggIdentity identity) {
        this.identity = identity;
        this.id = id;
        this.round = round;
        this.words = words;
        this.random = random;
        random.nextBytes(selfSeed);
    }

    public long round() {
        return round;
    }

    public MaskedWords words() {
        return words;
    }

    /** Nanoseconds this client spent on secure-aggregation work so far (keys, shares, masks). */
    public synchronized long busyNanos() {
        return busyNanos;
    }

    /** Stage 1: this round's public keys. */
    public synchronized SecAggKeys advertise() {
        SecAggKeys.Builder keys = SecAggKeys.newBuilder()
                .setRound(round)
                .setCipherPublicKey(ByteString.copyFrom(cipherKeys.getPublic().getEncoded()))
                .setMaskPublicKey(ByteString.copyFrom(maskKeys.getPublic().getEncoded()));
        if (identity != null) {
            keys.setSignature(identity.sign(round, id, keys.getCipherPublicKey(), keys.getMaskPublicKey()))
                    .setCertificate(identity.certificate());
        }
        return keys.build();
    }

    /**
     * Stage 2: the shares of this client's secrets, one encrypted pair per neighbour.
     *
     * @throws FedgeException if the roster is for another round, names this client or a peer
     *     twice, reuses a Shamir point, or sets a threshold of at most half the neighbours
     */
    public synchronized SecAggShares share(SecAggRoster roster) {
        long t0 = System.nanoTime();
        require(Stage.ADVERTISED, "roster");
        checkRound(roster.getRound());
        int k = roster.getPeersCount();
        if (roster.getIndex() <= 0) {
            throw malformed("roster gives this client Shamir point " + roster.getIndex());
        }
        if (k < 2 || 2 * roster.getThreshold() <= k || roster.getThreshold() > k) {
            throw aborted("a threshold of " + roster.getThreshold() + " among " + k
                    + " neighbours would let the coordinator reconstruct both secrets of a client");
        }
        Set<Integer> points = new HashSet<>();
        points.add(roster.getIndex());
        int[] xs = new int[k];
        int i = 0;
        for (SecAggPeer p : roster.getPeersList()) {
            if (p.getClientId().equals(id) || peers.containsKey(p.getClientId())) {
                throw malformed("roster lists " + p.getClientId() + " twice or as this client's own neighbour");
            }
            if (p.getIndex() <= 0 || !points.add(p.getIndex())) {
                throw malformed("roster reuses Shamir point " + p.getIndex());
            }
            SecAggCrypto.publicKeyOrThrow(p.getCipherPublicKey());
            SecAggCrypto.publicKeyOrThrow(p.getMaskPublicKey());
            if (identity != null) {
                identity.verify(round, p.getClientId(), p.getCipherPublicKey(), p.getMaskPublicKey(), p.getSignature(),
                        p.getCertificate());
            }
            peers.put(p.getClientId(), p);
            xs[i++] = p.getIndex();
        }
        index = roster.getIndex();
        threshold = roster.getThreshold();
        List<ShamirSharing.Share> seedShares = ShamirSharing.split(selfSeed, threshold, xs, random);
        List<ShamirSharing.Share> keyShares = ShamirSharing.split(SecAggCrypto.scalar(maskKeys.getPrivate()), threshold, xs,
                random);
        SecAggShares.Builder out = SecAggShares.newBuilder().setRound(round)
                .setSelfSeedCommitment(ByteString.copyFrom(commitment(selfSeed)));
        i = 0;
        for (SecAggPeer p : roster.getPeersList()) {
            byte[] plain = SecAggSharePlain.newBuilder()
                    .setOwner(id).setHolder(p.getClientId()).setX(xs[i])
                    .setSelfSeedShare(ByteString.copyFrom(SecAggCrypto.fieldBytes(seedShares.get(i).y())))
                    .setMaskKeyShare(ByteString.copyFrom(SecAggCrypto.fieldBytes(keyShares.get(i).y())))
                    .build().toByteArray();
            byte[] sealed = SecAggCrypto.sealShare(cipherKeys.getPrivate(),
                    SecAggCrypto.publicKeyOrThrow(p.getCipherPublicKey()), round, id, p.getClientId(), plain, random);
            out.addShares(SecAggSealedShare.newBuilder().setPeer(p.getClientId()).setCiphertext(ByteString.copyFrom(sealed)));
            i++;
        }
        stage = Stage.SHARED;
        busyNanos += System.nanoTime() - t0;
        return out.build();
    }

    /**
     * Stage 3: the shares this client's neighbours sent it. Each sender becomes a neighbour this
     * client masks against.
     *
     * @throws FedgeException if a share is from a non-neighbour or twice, does not decrypt or names
     *     the wrong owner, holder or point, or fewer than the threshold of neighbours shared
     */
    public synchronized void receive(SecAggShares forwarded) {
        long t0 = System.nanoTime();
        require(Stage.SHARED, "forwarded shares");
        checkRound(forwarded.getRound());
        if (forwarded.getSharesCount() < threshold) {
            throw aborted("only " + forwarded.getSharesCount() + " neighbours shared, the threshold is " + threshold);
        }
        Map<String, SecAggSharePlain> opened = new TreeMap<>();
        for (SecAggSealedShare s : forwarded.getSharesList()) {
            SecAggPeer p = peers.get(s.getPeer());
            if (p == null || opened.containsKey(s.getPeer())) {
                throw malformed("share from " + s.getPeer() + ", who is not a neighbour or already shared");
            }
            byte[] plain = SecAggCrypto.openShare(cipherKeys.getPrivate(), SecAggCrypto.publicKeyOrThrow(p.getCipherPublicKey()),
                    round, p.getClientId(), id, s.getCiphertext().toByteArray());
            SecAggSharePlain share;
            try {
                share = SecAggSharePlain.parseFrom(plain);
            } catch (InvalidProtocolBufferException e) {
                throw malformed("share from " + p.getClientId() + " does not parse");
            }
            if (!share.getOwner().equals(p.getClientId()) || !share.getHolder().equals(id) || share.getX() != index) {
                throw malformed("share from " + p.getClientId() + " names owner " + share.getOwner() + ", holder "
                        + share.getHolder() + ", point " + share.getX());
            }
            SecAggCrypto.fieldElement(share.getSelfSeedShare().toByteArray());
            SecAggCrypto.fieldElement(share.getMaskKeyShare().toByteArray());
            opened.put(p.getClientId(), share);
        }
        for (String peer : opened.keySet()) {
            PublicKey theirs = SecAggCrypto.publicKeyOrThrow(peers.get(peer).getMaskPublicKey());
            pairSeeds.put(peer, PairwiseMasks.pairSeed(maskKeys.getPrivate(), theirs, id, peer, round));
        }
        held.putAll(opened);
        stage = Stage.READY;
        busyNanos += System.nanoTime() - t0;
    }

    /** Whether {@link #receive} has run, so the update can be masked. */
    public synchronized boolean ready() {
        return stage == Stage.READY;
    }

    /**
     * Stage 3: the update {@code delta}, weighted by {@code numExamples} (capped), encoded to fixed
     * point and masked, as the wire bytes of chunks of {@code perChunk} parameters each.
     */
    public synchronized List<byte[]> mask(float[] delta, long numExamples, int perChunk) {
        long t0 = System.nanoTime();
        require(Stage.READY, "masking");
        long weight = words.weight(numExamples);
        MaskStream self = new MaskStream(selfSeed);
        List<MaskStream> pairs = new ArrayList<>();
        List<Long> signs = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : pairSeeds.entrySet()) {
            pairs.add(new MaskStream(e.getValue()));
            signs.add(PairwiseMasks.sign(id, e.getKey()));
        }
        List<byte[]> chunks = new ArrayList<>();
        long[] buf = new long[Math.min(perChunk, Math.max(1, delta.length))];
        for (int from = 0; from < delta.length; from += perChunk) {
            int n = Math.min(perChunk, delta.length - from);
            words.encode(delta, from, n, weight, buf);
            self.addTo(buf, 0, from, n, 1);
            for (int p = 0; p < pairs.size(); p++) {
                pairs.get(p).addTo(buf, 0, from, n, signs.get(p));
            }
            chunks.add(words.toBytes(buf, n));
        }
        busyNanos += System.nanoTime() - t0;
        return chunks;
    }

    /**
     * Stage 4a, with certificates: this client's signature over the survivor and dropped lists.
     * It signs one pair of lists per round; asked to sign different ones, it refuses.
     *
     * @throws FedgeException as {@link #reveal} would for the same request
     */
    public synchronized io.fedge.comm.proto.SecAggListSignature signLists(SecAggUnmask request) {
        checkRound(request.getRound());
        if (identity == null) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, "no certificate to sign the survivor list with");
        }
        require(Stage.READY, "a consistency check");
        Set<String> survivors = new HashSet<>(request.getSurvivorsList());
        Set<String> dropped = new HashSet<>(request.getDroppedList());
        checkLists(survivors, dropped);
        if (signedSurvivors != null && (!signedSurvivors.equals(survivors) || !signedDropped.equals(dropped))) {
            throw aborted("asked to sign a second, different survivor list for round " + round);
        }
        signedSurvivors = survivors;
        signedDropped = dropped;
        return io.fedge.comm.proto.SecAggListSignature.newBuilder().setRound(round)
                .setSignature(identity.signLists(round, survivors, dropped)).build();
    }

    private void checkLists(Set<String> survivors, Set<String> dropped) {
        if (!survivors.contains(id)) {
            throw aborted("the unmask request does not list this client's own update");
        }
        for (String d : dropped) {
            if (survivors.contains(d)) {
                throw aborted(d + " is listed both as a survivor and as dropped");
            }
        }
        for (String peer : pairSeeds.keySet()) {
            if (!survivors.contains(peer) && !dropped.contains(peer)) {
                throw aborted("the unmask request does not account for neighbour " + peer);
            }
        }
        if (survivors.size() < threshold) {
            throw aborted(survivors.size() + " survivors are fewer than the threshold " + threshold);
        }
    }

    /**
     * With certificates, the request must carry at least the threshold of valid signatures by
     * distinct survivors over exactly these lists, the ones this client signed: no survivor can
     * have been told a different story.
     */
    private void checkConsistency(SecAggUnmask request, Set<String> survivors, Set<String> dropped) {
        if (identity == null) {
            return;
        }
        if (signedSurvivors == null || !signedSurvivors.equals(survivors) || !signedDropped.equals(dropped)) {
            throw aborted("the reveal request's lists are not the ones this client signed");
        }
        Set<String> valid = new HashSet<>();
        for (io.fedge.comm.proto.SecAggListSignature s : request.getSignaturesList()) {
            if (survivors.contains(s.getClientId()) && identity.listSignedBy(round, survivors, dropped, s.getClientId(),
                    s.getSignature(), s.getCertificate())) {
                valid.add(s.getClientId());
            }
        }
        if (valid.size() < threshold) {
            throw aborted("only " + valid.size() + " survivors signed the survivor list, the threshold is " + threshold);
        }
    }

    /**
     * Stage 4: for each neighbour that shared with this client, the share of its self-mask seed if
     * it survived or of its mask key if it dropped out. Answers once per round.
     *
     * @throws FedgeException if asked twice, if a client is listed as both, if this client is not
     *     listed as a survivor, if a neighbour it masked against is in neither list, or if fewer
     *     than the threshold survived
     */
    public synchronized SecAggReveal reveal(SecAggUnmask request) {
        long t0 = System.nanoTime();
        checkRound(request.getRound());
        if (stage == Stage.REVEALED) {
            throw aborted("shares for round " + round + " were already revealed once");
        }
        require(Stage.READY, "an unmask request");
        Set<String> survivors = new HashSet<>(request.getSurvivorsList());
        Set<String> dropped = new HashSet<>(request.getDroppedList());
        checkLists(survivors, dropped);
        checkConsistency(request, survivors, dropped);
        stage = Stage.REVEALED;
        SecAggReveal.Builder out = SecAggReveal.newBuilder().setRound(round);
        for (Map.Entry<String, SecAggSharePlain> e : held.entrySet()) {
            boolean survived = survivors.contains(e.getKey());
            if (!survived && !dropped.contains(e.getKey())) {
                continue;
            }
            SecAggSharePlain s = e.getValue();
            out.addShares(SecAggRevealedShare.newBuilder().setOwner(e.getKey()).setSelfSeed(survived).setX(s.getX())
                    .setY(survived ? s.getSelfSeedShare() : s.getMaskKeyShare()));
        }
        busyNanos += System.nanoTime() - t0;
        return out.build();
    }

    static byte[] commitment(byte[] seed) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(seed);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }

    private void require(Stage expected, String what) {
        if (stage != expected) {
            throw new FedgeException(ErrorCode.UNEXPECTED_MESSAGE, what + " in secure-aggregation stage " + stage
                    + " of round " + round);
        }
    }

    private void checkRound(long r) {
        if (r != round) {
            throw new FedgeException(ErrorCode.WRONG_ROUND, "secure-aggregation message for round " + r
                    + ", this client is in round " + round);
        }
    }

    private static FedgeException malformed(String message) {
        return new FedgeException(ErrorCode.MALFORMED, message);
    }

    private static FedgeException aborted(String message) {
        return new FedgeException(ErrorCode.SECURE_AGGREGATION_ABORTED, message);
    }
}
