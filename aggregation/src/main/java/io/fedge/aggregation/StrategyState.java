package io.fedge.aggregation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The byte layout strategies persist their state in between rounds: a magic, the strategy's
 * name (so one strategy never restores another's state), a list of float and double vectors and
 * scalars, and a CRC-32C over all of it, verified before anything is read back. A buffer that is
 * truncated, corrupt or someone else's is refused with the reason.
 *
 * <pre>{@code
 * byte[] saved = StrategyState.writer("fedadam").doubles(scalars).floats(m).floats(v).toBytes();
 * StrategyState.Reader r = StrategyState.reader("fedadam", saved);
 * double[] s = r.doubles(); float[] m2 = r.floats(); float[] v2 = r.floats();
 * }</pre>
 */
public final class StrategyState {
    private static final int MAGIC = 0x46475354; // "FGST"
    private static final byte VERSION = 1;
    private static final byte FLOATS = 1;
    private static final byte DOUBLES = 2;
    private static final byte BYTES = 3;

    private StrategyState() {
    }

    public static Writer writer(String strategy) {
        return new Writer(strategy);
    }

    /**
     * Checks {@code state} (magic, version, owner, checksum) and returns a reader over its vectors.
     *
     * @throws IllegalArgumentException naming what is wrong with it
     */
    public static Reader reader(String strategy, byte[] state) {
        return new Reader(strategy, state);
    }

    /** Collects vectors, then lays them out with {@link #toBytes}. */
    public static final class Writer {
        private final String strategy;
        private final List<Object> parts = new ArrayList<>();

        private Writer(String strategy) {
            this.strategy = strategy;
        }

        public Writer floats(float[] v) {
            parts.add(v.clone());
            return this;
        }

        public Writer doubles(double... v) {
            parts.add(v.clone());
            return this;
        }

        /** A nested state (another component's own bytes). */
        public Writer bytes(byte[] v) {
            parts.add(v.clone());
            return this;
        }

        public byte[] toBytes() {
            byte[] name = strategy.getBytes(StandardCharsets.UTF_8);
            long size = 4 + 1 + 2 + name.length + 4;
            for (Object p : parts) {
                size += 1 + 4 + (p instanceof float[] f ? 4L * f.length
                        : p instanceof byte[] by ? by.length : 8L * ((double[]) p).length);
            }
            size += 4;
            if (size > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("strategy state of " + size + " bytes is too large");
            }
            ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(MAGIC).put(VERSION).putShort((short) name.length).put(name).putInt(parts.size());
            for (Object p : parts) {
                if (p instanceof float[] f) {
                    b.put(FLOATS).putInt(f.length);
                    for (float x : f) {
                        b.putFloat(x);
                    }
                } else if (p instanceof byte[] by) {
                    b.put(BYTES).putInt(by.length).put(by);
                } else {
                    double[] d = (double[]) p;
                    b.put(DOUBLES).putInt(d.length);
                    for (double x : d) {
                        b.putDouble(x);
                    }
                }
            }
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, b.position());
            b.putInt((int) crc.getValue());
            return b.array();
        }
    }

    /** Reads the vectors of a verified state back in the order they were written. */
    public static final class Reader {
        private final ByteBuffer b;
        private int remaining;

        private Reader(String strategy, byte[] state) {
            if (state.length < 4 + 1 + 2 + 4 + 4) {
                throw new IllegalArgumentException("strategy state of " + state.length + " bytes is truncated");
            }
            CRC32C crc = new CRC32C();
            crc.update(state, 0, state.length - 4);
            ByteBuffer all = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
            if (all.getInt(state.length - 4) != (int) crc.getValue()) {
                throw new IllegalArgumentException("strategy state fails its checksum: corrupt or truncated");
            }
            b = ByteBuffer.wrap(state, 0, state.length - 4).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt() != MAGIC || b.get() != VERSION) {
                throw new IllegalArgumentException("not a strategy state of this version");
            }
            int nameLength = b.getShort() & 0xFFFF;
            if (nameLength > b.remaining()) {
                throw new IllegalArgumentException("strategy state is truncated");
            }
            byte[] name = new byte[nameLength];
            b.get(name);
            String owner = new String(name, StandardCharsets.UTF_8);
            if (!owner.equals(strategy)) {
                throw new IllegalArgumentException("the saved state is strategy " + owner + "'s, not " + strategy + "'s");
            }
            remaining = b.getInt();
        }

        public float[] floats() {
            int n = next(FLOATS, 4);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = b.getFloat();
            }
            return v;
        }

        public double[] doubles() {
            int n = next(DOUBLES, 8);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = b.getDouble();
            }
            return v;
        }

        public byte[] bytes() {
            byte[] v = new byte[next(BYTES, 1)];
            b.get(v);
            return v;
        }

        private int next(byte kind, int width) {
            if (remaining-- <= 0 || b.remaining() < 5) {
                throw new IllegalArgumentException("strategy state has fewer vectors than expected");
            }
            byte k = b.get();
            int n = b.getInt();
            if (k != kind || n < 0 || (long) n * width > b.remaining()) {
                throw new IllegalArgumentException("strategy state vector has the wrong kind or length");
            }
            return n;
        }
    }
}
