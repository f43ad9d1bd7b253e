package io.fedge.aggregation.privacy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * A Rényi-DP accountant for DP-FedAvg: the RDP spent so far at each of a fixed set of orders,
 * composed by addition as rounds of the sampled Gaussian mechanism ({@link SampledGaussianRdp})
 * are recorded, and converted to (epsilon, delta) on demand ({@link RdpConversion}).
 *
 * <pre>{@code
 * RdpAccountant accountant = new RdpAccountant();          // Opacus's default orders
 * accountant.step(clientsPerRound / population, noiseMultiplier, 1);   // once per round
 * PrivacySpent spent = accountant.epsilon(1e-5);
 * store.put("rdp", accountant.state());                   // and restore(...) after a restart
 * }</pre>
 *
 * <p>The state is the RDP vector with its orders: {@link #state()} writes it as a version byte,
 * the count of orders (int), the orders and the RDP values (doubles, big-endian) and a CRC-32 of
 * everything before it; {@link #restore} and {@link #fromState} refuse a buffer of the wrong
 * length, version, checksum or content, and {@link #restore} also one for other orders.
 *
 * <p>The per-step RDP of the most recent (q, sigma) is kept, so a run that repeats them each round
 * computes the series once. Mutable and not thread-safe.
 */
public final class RdpAccountant {
    /** The version byte {@link #state()} writes. */
    public static final byte STATE_VERSION = 1;
    private static final int HEADER_BYTES = 1 + Integer.BYTES;
    private static final int CRC_BYTES = Integer.BYTES;

    private final double[] orders;
    private final double[] rdp;
    /** The per-step RDP of the last (q, sigma) stepped: rounds usually repeat them. */
    private double cachedQ = Double.NaN;
    private double cachedSigma = Double.NaN;
    private double[] cachedStep;

    /** An accountant over {@link #defaultOrders()}. */
    public RdpAccountant() {
        this(defaultOrders());
    }

    /**
     * An accountant over the given orders (copied), each in (1, {@value SampledGaussianRdp#MAX_ORDER}]
     * or +Infinity.
     *
     * @throws IllegalArgumentException if there are none or one is out of range
     */
    public RdpAccountant(double[] orders) {
        if (orders.length == 0) {
            throw new IllegalArgumentException("at least one RDP order is needed");
        }
        for (double a : orders) {
            SampledGaussianRdp.checkOrder(a);
        }
        this.orders = orders.clone();
        this.rdp = new double[orders.length];
    }

    /**
     * Opacus's default orders: {@code 1 + x/10} for x = 1..99 (1.1 to 10.9) and the integers 12 to
     * 63, 151 in all.
     */
    public static double[] defaultOrders() {
        double[] out = new double[99 + 52];
        for (int x = 1; x <= 99; x++) {
            out[x - 1] = 1 + x / 10.0;
        }
        for (int a = 12; a <= 63; a++) {
            out[99 + a - 12] = a;
        }
        return out;
    }

    /**
     * Records {@code steps} rounds of the sampled Gaussian mechanism with sampling rate {@code q}
     * and noise multiplier {@code sigma}: adds {@code steps * rdp(q, sigma, alpha)} at every order.
     *
     * @throws IllegalArgumentException if q is outside [0, 1], sigma is negative or NaN, or steps
     *     is negative
     */
    public void step(double q, double sigma, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be non-negative: " + steps);
        }
        double[] add = perStep(q, sigma); // validates before anything changes
        if (steps == 0) {
            return;
        }
        for (int k = 0; k < orders.length; k++) {
            rdp[k] += steps * add[k];
        }
    }

    private double[] perStep(double q, double sigma) {
        if (cachedStep != null && Double.compare(q, cachedQ) == 0 && Double.compare(sigma, cachedSigma) == 0) {
            return cachedStep;
        }
        double[] add = new double[orders.length];
        for (int k = 0; k < orders.length; k++) {
            add[k] = SampledGaussianRdp.rdp(q, sigma, orders[k]);
        }
        cachedQ = q;
        cachedSigma = sigma;
        cachedStep = add;
        return add;
    }

    /** The orders (a copy). */
    public double[] orders() {
        return orders.clone();
    }

    /** The RDP spent so far at each order (a copy). */
    public double[] rdp() {
        return rdp.clone();
    }

    /** The (epsilon, delta) spent so far, by the improved conversion ({@link RdpConversion#epsilon}). */
    public PrivacySpent epsilon(double delta) {
        return RdpConversion.epsilon(orders, rdp, delta);
    }

    /** The (epsilon, delta) spent so far, by the classic conversion ({@link RdpConversion#epsilonClassic}). */
    public PrivacySpent epsilonClassic(double delta) {
        return RdpConversion.epsilonClassic(orders, rdp, delta);
    }

    /** The orders and the RDP spent, serialized as the class comment describes. */
    public byte[] state() {
        int n = orders.length;
        ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + 16 * n + CRC_BYTES);
        buf.put(STATE_VERSION).putInt(n);
        for (double a : orders) {
            buf.putDouble(a);
        }
        for (double r : rdp) {
            buf.putDouble(r);
        }
        CRC32 crc = new CRC32();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        return buf.array();
    }

    /**
     * Replaces the RDP spent with that in {@code state}, which must hold this accountant's orders.
     *
     * @throws IllegalArgumentException if the buffer is corrupt or holds other orders; the
     *     accountant is then unchanged
     */
    public void restore(byte[] state) {
        double[][] parsed = parse(state);
        if (!Arrays.equals(parsed[0], orders)) {
            throw new IllegalArgumentException("accountant state holds other RDP orders: "
                    + parsed[0].length + " orders " + summary(parsed[0]) + ", expected "
                    + orders.length + " orders " + summary(orders));
        }
        System.arraycopy(parsed[1], 0, rdp, 0, rdp.length);
    }

    /**
     * An accountant with the orders and the RDP spent held in {@code state}.
     *
     * @throws IllegalArgumentException if the buffer is corrupt
     */
    public static RdpAccountant fromState(byte[] state) {
        double[][] parsed = parse(state);
        RdpAccountant out = new RdpAccountant(parsed[0]);
        System.arraycopy(parsed[1], 0, out.rdp, 0, out.rdp.length);
        return out;
    }

    private static double[][] parse(byte[] state) {
        if (state.length < HEADER_BYTES + CRC_BYTES) {
            throw new IllegalArgumentException("accountant state too short: " + state.length + " bytes");
        }
        ByteBuffer buf = ByteBuffer.wrap(state);
        byte version = buf.get();
        if (version != STATE_VERSION) {
            throw new IllegalArgumentException(
                    "accountant state has version " + version + ", expected " + STATE_VERSION);
        }
        int n = buf.getInt();
        long expected = HEADER_BYTES + 16L * n + CRC_BYTES;
        if (n < 1 || expected != state.length) {
            throw new IllegalArgumentException("accountant state of " + state.length
                    + " bytes does not fit its order count " + n);
        }
        CRC32 crc = new CRC32();
        crc.update(state, 0, state.length - CRC_BYTES);
        int stored = ByteBuffer.wrap(state, state.length - CRC_BYTES, CRC_BYTES).getInt();
        if (stored != (int) crc.getValue()) {
            throw new IllegalArgumentException("accountant state fails its checksum (corrupt)");
        }
        double[] orders = new double[n];
        double[] rdp = new double[n];
        for (int k = 0; k < n; k++) {
            orders[k] = buf.getDouble();
            try {
                SampledGaussianRdp.checkOrder(orders[k]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("accountant state holds an invalid order: " + e.getMessage(), e);
            }
        }
        for (int k = 0; k < n; k++) {
            rdp[k] = buf.getDouble();
            if (!(rdp[k] >= 0)) {
                throw new IllegalArgumentException(
                        "accountant state holds an invalid RDP value at order " + orders[k] + ": " + rdp[k]);
            }
        }
        return new double[][] {orders, rdp};
    }

    private static String summary(double[] a) {
        return a.length <= 4 ? Arrays.toString(a) : "[" + a[0] + ", " + a[1] + ", ..., " + a[a.length - 1] + "]";
    }
}
