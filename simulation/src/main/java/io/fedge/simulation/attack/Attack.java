package io.fedge.simulation.attack;

import io.fedge.client.ClientListener;
import io.fedge.client.FederatedClient;
import io.fedge.client.LocalUpdate;
import io.fedge.client.UpdateTransform;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;
import java.util.Locale;

/**
 * How a simulated attacker misbehaves, every round, as {@code fedge simulate --attack KIND} names it.
 *
 * <ul>
 *   <li>{@code examples:COUNT}: declares COUNT examples in its Hello and claims COUNT in every TrainResult;
 *   <li>{@code claim:COUNT}: declares its true count, claims COUNT in every TrainResult;
 *   <li>{@code scale:F}: sends its honest update times F (a negative F flips its sign);
 *   <li>{@code gaussian:S}: sends Gaussian noise of standard deviation S in every coordinate instead
 *       of its update (seeded by its id and the round);
 *   <li>{@code labelflip}: trains honestly on its data with every label {@code l} turned into
 *       {@code 9 - l} (a data-poisoning attacker: its update is a real, well-formed training step);
 *   <li>{@code nan}: sends its update with every 97th value NaN (in {@code fp32}, whose encoder
 *       would refuse them: {@link #codecs()});
 *   <li>{@code stall}: announces an update, sends its first chunk once admitted, then nothing
 *       more, heartbeats going on ({@link WireAttacker});
 *   <li>{@code noread}: registers, then stops reading its socket while its heartbeats go on
 *       ({@link WireAttacker}).
 * </ul>
 *
 * Two more are baselines, for the run an attack is compared with: {@code absent} (the attackers
 * do not take part: the federation of the others alone) and {@code decline} (they register and
 * refuse every task, so the coordinator selects as it would with the attackers present and folds
 * only the others' updates). The first four are real clients with
 * {@link io.fedge.client.FederatedClient.Builder#updateTransform} and
 * {@link io.fedge.client.FederatedClient.Builder#declaredExamples}.
 *
 * @param kind what it does
 * @param count the examples of {@code examples} and {@code claim}; 0 otherwise
 * @param factor the factor of {@code scale}, the standard deviation of {@code gaussian}; 1 otherwise
 */
public record Attack(Kind kind, long count, double factor) implements java.io.Serializable {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /** What an attacker does. */
    public enum Kind { EXAMPLES, CLAIM, SCALE, GAUSSIAN, LABELFLIP, NAN, STALL, NOREAD, ABSENT, DECLINE }

    /** Every 97th value of a {@code nan} attacker's update is NaN. */
    public static final int NAN_EVERY = 97;

    /** The forms {@link #parse} accepts, for error messages and help. */
    public static final String FORMS = "examples:COUNT, claim:COUNT (COUNT in [1, 2^63-1]), scale:F (F finite, "
            + "not 0), gaussian:S (S finite, > 0), labelflip, nan, stall, noread, absent or decline";

    private static final List<String> BARE = List.of("labelflip", "nan", "stall", "noread", "absent", "decline");

    public Attack {
        java.util.Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.EXAMPLES || kind == Kind.CLAIM) && count < 1) {
            throw new IllegalArgumentException("the example count must be >= 1: " + count);
        }
        if (kind == Kind.SCALE && (!Double.isFinite(factor) || factor == 0)) {
            throw new IllegalArgumentException("the scale factor must be finite and not 0: " + factor);
        }
        if (kind == Kind.GAUSSIAN && !(factor > 0 && Double.isFinite(factor))) {
            throw new IllegalArgumentException("the noise standard deviation must be finite and positive: " + factor);
        }
    }

    /**
     * Parses {@code examples:COUNT}, {@code claim:COUNT}, {@code scale:F} or a bare kind.
     *
     * @throws IllegalArgumentException naming the forms allowed
     */
    public static Attack parse(String spec) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        try {
            if (BARE.contains(s)) {
                return new Attack(Kind.valueOf(s.toUpperCase(Locale.ROOT)), 0, 1);
            }
            if (s.startsWith("examples:")) {
                return new Attack(Kind.EXAMPLES, Long.parseLong(s.substring(9)), 1);
            }
            if (s.startsWith("claim:")) {
                return new Attack(Kind.CLAIM, Long.parseLong(s.substring(6)), 1);
            }
            if (s.startsWith("scale:")) {
                return new Attack(Kind.SCALE, 0, Double.parseDouble(s.substring(6)));
            }
            if (s.startsWith("gaussian:")) {
                return new Attack(Kind.GAUSSIAN, 0, Double.parseDouble(s.substring(9)));
            }
        } catch (IllegalArgumentException e) {
            // a bad number, or out of range: reported below
        }
        throw new IllegalArgumentException("'" + spec + "' is not an attack: " + FORMS);
    }

    /** The label a {@code labelflip} attacker trains with for true label {@code label} of {@code classes}. */
    public static int flippedLabel(int label, int classes) {
        return classes - 1 - label;
    }

    /** The same examples with one-hot label {@code l} moved to {@code classes - 1 - l} (a label-flipping attacker). */
    public static DataSet flipLabels(DataSet data) {
        INDArray labels = data.getLabels();
        int classes = (int) labels.columns();
        INDArray flipped = labels.dup();
        for (int c = 0; c < classes; c++) {
            flipped.putColumn(flippedLabel(c, classes), labels.getColumn(c));
        }
        return new DataSet(data.getFeatures(), flipped);
    }

    /** What an attacker holding {@code honest} trains on: its labels flipped for {@code labelflip}, else as held. */
    public DataSet trainingData(DataSet honest) {
        return poisonsData() ? flipLabels(honest) : honest;
    }

    /**
     * Sets up {@code client}, a real client's builder given {@link #trainingData}, to make this
     * attack holding {@code honest} examples: the count it declares, what it does to each update and
     * the codecs it encodes with; {@code listener} hears what the attacker's client hears. Not for
     * the transport-level attacks ({@link #isTransportLevel}) nor {@code absent}, which have no such
     * client.
     */
    public FederatedClient.Builder configure(FederatedClient.Builder client, long honest, ClientListener listener) {
        if (isTransportLevel() || kind == Kind.ABSENT) {
            throw new IllegalStateException("attack " + this + " has no FederatedClient of its own");
        }
        client.declaredExamples(declaredExamples(honest))
                .listener(listener)
                .codecs(codecs());
        UpdateTransform t = transform();
        if (t != null) {
            client.updateTransform(t);
        }
        return client;
    }

    /** Whether the attack poisons the attacker's data rather than its update. */
    public boolean poisonsData() {
        return kind == Kind.LABELFLIP;
    }

    /** Whether the attack is a protocol-level client of its own ({@link WireAttacker}), not a FederatedClient. */
    public boolean isTransportLevel() {
        return kind == Kind.STALL || kind == Kind.NOREAD;
    }

    /** The examples an attacker holding {@code honest} examples declares in its Hello. */
    public long declaredExamples(long honest) {
        return kind == Kind.EXAMPLES ? count : honest;
    }

    /** What an attacker's client does to each trained update; null when it sends it as trained. */
    public UpdateTransform transform() {
        return switch (kind) {
            case EXAMPLES, CLAIM -> (round, u) -> new LocalUpdate(u.delta(), count, u.meanLoss(), u.durationMillis());
            case SCALE -> (round, u) -> {
                float[] d = u.delta().clone();
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (d[i] * factor);
                }
                return new LocalUpdate(d, u.numExamples(), u.meanLoss(), u.durationMillis());
            };
            case GAUSSIAN -> (round, u) -> {
                // seeded by the update's length and the round: reproducible runs, a fresh draw each round
                java.util.Random r = new java.util.Random(round * 0x9E3779B97F4A7C15L ^ u.numExamples());
                float[] d = new float[u.delta().length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (r.nextGaussian() * factor);
                }
                return new LocalUpdate(d, u.numExamples(), u.meanLoss(), u.durationMillis());
            };
            case NAN -> (round, u) -> {
                float[] d = u.delta().clone();
                for (int i = 0; i < d.length; i += NAN_EVERY) {
                    d[i] = Float.NaN;
                }
                return new LocalUpdate(d, u.numExamples(), u.meanLoss(), u.durationMillis());
            };
            case DECLINE -> (round, u) -> {
                throw new FedgeException(ErrorCode.INTERNAL, "this client declines every task (baseline of a "
                        + "simulated attack)");
            };
            default -> null;
        };
    }

    /**
     * The codecs an attacker's client encodes with: fedge's, but for {@code nan}, whose {@code fp32}
     * lets NaN through ({@link UncheckedFp32Codec}; with other codecs its own encoder refuses them).
     */
    public io.fedge.compression.CodecRegistry codecs() {
        io.fedge.compression.CodecRegistry fedge = io.fedge.compression.CodecRegistry.defaultRegistry();
        return kind == Kind.NAN ? fedge.with(new UncheckedFp32Codec()) : fedge;
    }

    /** The attack as {@code --attack} spells it. */
    @Override
    public String toString() {
        String name = kind.name().toLowerCase(Locale.ROOT);
        return switch (kind) {
            case EXAMPLES, CLAIM -> name + ":" + count;
            case SCALE, GAUSSIAN -> name + ":" + factor;
            default -> name;
        };
    }
}
