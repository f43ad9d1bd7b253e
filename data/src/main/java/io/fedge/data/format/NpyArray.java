package io.fedge.data.format;

import io.fedge.core.data.IdxReader;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A NumPy {@code .npy} array: its header parsed as the format documents it (the magic
 * {@code \x93NUMPY}, version 1.0, 2.0 or 3.0, a little-endian header length of 2 or 4 bytes, and a
 * Python dict literal with {@code descr}, {@code fortran_order} and {@code shape}), its elements read
 * in C order. Element types: {@code <f4}, {@code <f8}, {@code |u1} (also written {@code <u1}),
 * {@code <i4}, {@code <i8}. Fortran order, other types and structured arrays are refused, naming
 * the file.
 *
 * <p>Bounded: the header is at most {@value #MAX_HEADER_BYTES} bytes, the element count at most
 * {@link IdxReader#MAX_ELEMENTS}, and the data the shape announces must fit in what the file holds
 * after the header, checked before anything is allocated. Not thread-safe; each read opens the file.
 */
public final class NpyArray {
    /** The longest header dict read. */
    public static final int MAX_HEADER_BYTES = 1 << 16;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final List<String> TYPES = List.of("<f4", "<f8", "|u1", "<i4", "<i8");

    private final Path file;
    private final String descr;
    private final int[] shape;
    private final long dataOffset;

    private NpyArray(Path file, String descr, int[] shape, long dataOffset) {
        this.file = file;
        this.descr = descr;
        this.shape = shape;
        this.dataOffset = dataOffset;
    }

    /**
     * Reads and checks {@code file}'s header.
     *
     * @throws java.nio.file.NoSuchFileException if it is not there
     * @throws io.fedge.core.FedgeException ({@code MALFORMED}) naming the file if the header is not a
     *     valid {@code .npy} header, the type or order is not supported, or the file is shorter than the shape says
     */
    public static NpyArray open(Path file) throws IOException {
        long size = Files.size(file);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            byte[] magic = new byte[MAGIC.length];
            int got = in.readNBytes(magic, 0, magic.length);
            if (got < magic.length || !Arrays.equals(magic, MAGIC)) {
                throw Malformed.of(file, "not a NumPy .npy file (it does not start with \\x93NUMPY)"
                        + (file.toString().endsWith(".npz") ? "; an .npz is a zip of .npy files: unzip it" : ""));
            }
            int major = in.readUnsignedByte();
            int minor = in.readUnsignedByte();
            if (major < 1 || major > 3) {
                throw Malformed.of(file, ".npy format version " + major + "." + minor + ", expected 1.0, 2.0 or 3.0");
            }
            long headerLength;
            if (major == 1) {
                headerLength = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
            } else {
                headerLength = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            }
            long prefix = MAGIC.length + 2 + (major == 1 ? 2 : 4);
            if (headerLength > MAX_HEADER_BYTES || prefix + headerLength > size) {
                throw Malformed.of(file, "header of " + headerLength + " bytes, at most " + MAX_HEADER_BYTES
                        + " and within the file's " + size + " bytes");
            }
            byte[] header = in.readNBytes((int) headerLength);
            String text = new String(header, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header h = new HeaderParser(file, text).parse();
            if (h.fortranOrder) {
                throw Malformed.of(file, "stored in Fortran order; write it in C order (numpy.ascontiguousarray)");
            }
            String type = h.descr.equals("<u1") ? "|u1" : h.descr;
            if (!TYPES.contains(type)) {
                throw Malformed.of(file, "element type '" + h.descr + "' is not supported; expected one of " + TYPES);
            }
            NpyArray a = new NpyArray(file, type, h.shape, prefix + headerLength);
            long elements = a.elements();
            if (elements > IdxReader.MAX_ELEMENTS) {
                throw Malformed.of(file, "shape " + a.shapeString() + " holds " + elements + " elements, at most "
                        + IdxReader.MAX_ELEMENTS);
            }
            long needed = elements * a.itemSize();
            if (size - a.dataOffset < needed) {
                throw Malformed.of(file, "truncated: shape " + a.shapeString() + " of " + type + " needs " + needed
                        + " bytes after the header, the file holds " + (size - a.dataOffset));
            }
            return a;
        } catch (EOFException e) {
            throw Malformed.of(file, "truncated in its header");
        }
    }

    /** The element type, normalised ({@code <u1} is {@code |u1}). */
    public String descr() {
        return descr;
    }

    /** The dimensions (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** The shape as NumPy prints it, {@code (2, 3)}. */
    public String shapeString() {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    public long elements() {
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > IdxReader.MAX_ELEMENTS) {
                return Long.MAX_VALUE; // shape of overflowing size: refused by the caller
            }
        }
        return n;
    }

    public Path file() {
        return file;
    }

    /** Whether the elements are unsigned bytes. */
    public boolean isBytes() {
        return descr.equals("|u1");
    }

    /** Whether the elements are integers. */
    public boolean isInteger() {
        return descr.equals("|u1") || descr.startsWith("<i");
    }

    private int itemSize() {
        return switch (descr) {
            case "|u1" -> 1;
            case "<f4", "<i4" -> 4;
            default -> 8;
        };
    }

    /** The elements of a {@code |u1} array. */
    public byte[] bytes() throws IOException {
        if (!isBytes()) {
            throw new IllegalStateException(file + " holds " + descr + ", not bytes");
        }
        byte[] out = new byte[(int) elements()];
        try (InputStream in = data()) {
            if (in.readNBytes(out, 0, out.length) != out.length) {
                throw Malformed.of(file, "truncated");
            }
        }
        return out;
    }

    /**
     * The elements as floats (doubles and 64-bit integers rounded to the nearest float).
     *
     * @throws io.fedge.core.FedgeException if an element is NaN or infinite (naming its index) or
     *     does not fit a float
     */
    public float[] floats() throws IOException {
        int n = (int) elements();
        float[] out = new float[n];
        int item = itemSize();
        ByteBuffer buf = ByteBuffer.allocate(item * 8192).order(ByteOrder.LITTLE_ENDIAN);
        try (InputStream in = data()) {
            int done = 0;
            while (done < n) {
                int count = Math.min(8192, n - done);
                buf.clear();
                if (in.readNBytes(buf.array(), 0, count * item) != count * item) {
                    throw Malformed.of(file, "truncated");
                }
                for (int k = 0; k < count; k++) {
                    double v = switch (descr) {
                        case "|u1" -> buf.get(k) & 0xFF;
                        case "<f4" -> buf.getFloat(k * 4);
                        case "<i4" -> buf.getInt(k * 4);
                        case "<f8" -> buf.getDouble(k * 8);
                        default -> buf.getLong(k * 8);
                    };
                    float f = (float) v;
                    if (!Float.isFinite(f)) {
                        throw Malformed.of(file, "element " + index(done + k) + " is " + v
                                + (Double.isFinite(v) ? ", outside the float range" : ""));
                    }
                    out[done + k] = f;
                }
                done += count;
            }
        }
        return out;
    }

    /**
     * The elements of an integer array as ints.
     *
     * @throws io.fedge.core.FedgeException if the array holds floats or an element is outside {@code [0, max]}
     */
    public int[] nonNegativeInts(int max, String what) throws IOException {
        if (!isInteger()) {
            throw Malformed.of(file, what + " must be integers (|u1, <i4 or <i8), not " + descr);
        }
        int n = (int) elements();
        int[] out = new int[n];
        int item = itemSize();
        ByteBuffer buf = ByteBuffer.allocate(item * 8192).order(ByteOrder.LITTLE_ENDIAN);
        try (InputStream in = data()) {
            int done = 0;
            while (done < n) {
                int count = Math.min(8192, n - done);
                if (in.readNBytes(buf.array(), 0, count * item) != count * item) {
                    throw Malformed.of(file, "truncated");
                }
                for (int k = 0; k < count; k++) {
                    long v = switch (descr) {
                        case "|u1" -> buf.get(k) & 0xFF;
                        case "<i4" -> buf.getInt(k * 4);
                        default -> buf.getLong(k * 8);
                    };
                    if (v < 0 || v > max) {
                        throw Malformed.of(file, what + " " + index(done + k) + " is " + v + ", expected 0 to " + max);
                    }
                    out[done + k] = (int) v;
                }
                done += count;
            }
        }
        return out;
    }

    /** A flat element index as NumPy's multi-index, {@code [3, 7]}. */
    private String index(long flat) {
        long[] idx = new long[shape.length];
        long rest = flat;
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : rest % shape[d];
            rest = shape[d] == 0 ? 0 : rest / shape[d];
        }
        return Arrays.toString(idx);
    }

    private InputStream data() throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.skipNBytes(dataOffset);
        return in;
    }

    private record Header(String descr, boolean fortranOrder, int[] shape) {
    }

    /** The header's Python dict literal: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. */
    private static final class HeaderParser {
        private final Path file;
        private final String s;
        private int at;

        HeaderParser(Path file, String s) {
            this.file = file;
            this.s = s;
        }

        Header parse() {
            String descr = null;
            Boolean fortran = null;
            int[] shape = null;
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    at++;
                    break;
                }
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                switch (key) {
                    case "descr" -> {
                        if (peek() == '[') {
                            throw bad("a structured dtype (descr is a list); save a plain numeric array");
                        }
                        descr = string();
                    }
                    case "fortran_order" -> fortran = bool();
                    case "shape" -> shape = tuple();
                    default -> throw bad("unknown key '" + key + "'");
                }
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else if (peek() != '}') {
                    throw bad("expected ',' or '}' at character " + at);
                }
            }
            if (descr == null || fortran == null || shape == null) {
                throw bad("the header dict needs 'descr', 'fortran_order' and 'shape'");
            }
            return new Header(descr, fortran, shape);
        }

        private char peek() {
            if (at >= s.length()) {
                throw bad("the header dict ends early");
            }
            return s.charAt(at);
        }

        private void expect(char c) {
            skipSpace();
            if (peek() != c) {
                throw bad("expected '" + c + "' at character " + at + ", found '" + peek() + "'");
            }
            at++;
        }

        private void skipSpace() {
            while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
                at++;
            }
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw bad("expected a quoted string at character " + at);
            }
            int end = s.indexOf(q, at + 1);
            if (end < 0) {
                throw bad("unterminated string at character " + at);
            }
            String v = s.substring(at + 1, end);
            at = end + 1;
            return v;
        }

        private boolean bool() {
            if (s.startsWith("True", at)) {
                at += 4;
                return true;
            }
            if (s.startsWith("False", at)) {
                at += 5;
                return false;
            }
            throw bad("fortran_order must be True or False");
        }

        private int[] tuple() {
            expect('(');
            List<Integer> dims = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    at++;
                    break;
                }
                int start = at;
                while (at < s.length() && Character.isDigit(s.charAt(at))) {
                    at++;
                }
                if (at == start || at - start > 10) {
                    throw bad("shape must be a tuple of non-negative integers, at character " + start);
                }
                long d = Long.parseLong(s.substring(start, at));
                if (d > Integer.MAX_VALUE) {
                    throw bad("dimension " + d + " is too large");
                }
                dims.add((int) d);
                if (dims.size() > 32) {
                    throw bad("more than 32 dimensions");
                }
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else if (peek() != ')') {
                    throw bad("expected ',' or ')' in the shape at character " + at);
                }
            }
            return dims.stream().mapToInt(Integer::intValue).toArray();
        }

        private RuntimeException bad(String what) {
            return Malformed.of(file, "malformed .npy header: " + what);
        }
    }
}
