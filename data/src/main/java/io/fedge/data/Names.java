package io.fedge.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The order fedge gives class names and client ids read from data: numerically when every name is
 * an integer ({@code 2} before {@code 10}), as strings ({@link String#compareTo}) otherwise.
 */
public final class Names {
    private Names() {
    }

    /** The distinct names, sorted as the class says. */
    public static List<String> sorted(Collection<String> names) {
        List<String> distinct = new ArrayList<>(new TreeSet<>(names));
        if (!distinct.isEmpty() && distinct.stream().allMatch(Names::isInteger)) {
            distinct.sort(Comparator.comparing(java.math.BigInteger::new));
        }
        return distinct;
    }

    /**
     * Strings in natural order: runs of digits compare by their value ({@code img2} before
     * {@code img10}), everything else character by character; strings equal in that order (such
     * as {@code 01} and {@code 1}) fall back to {@link String#compareTo}, so the order is total.
     */
    public static final Comparator<String> NATURAL_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (isDigit(ca) && isDigit(cb)) {
                int ei = digitsEnd(a, i);
                int ej = digitsEnd(b, j);
                int c = compareDigits(a.substring(i, ei), b.substring(j, ej));
                if (c != 0) {
                    return c;
                }
                i = ei;
                j = ej;
            } else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        int rest = Integer.compare(a.length() - i, b.length() - j);
        return rest != 0 ? rest : a.compareTo(b);
    };

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int digitsEnd(String s, int from) {
        int k = from;
        while (k < s.length() && isDigit(s.charAt(k))) {
            k++;
        }
        return k;
    }

    /** Two digit runs by value, without overflow: strip leading zeros, then the longer is larger. */
    private static int compareDigits(String x, String y) {
        String a = stripZeros(x);
        String b = stripZeros(y);
        return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
    }

    private static String stripZeros(String s) {
        int k = 0;
        while (k < s.length() - 1 && s.charAt(k) == '0') {
            k++;
        }
        return s.substring(k);
    }

    private static boolean isInteger(String s) {
        if (s.isEmpty() || s.length() > 1000) {
            return false;
        }
        int start = s.charAt(0) == '-' || s.charAt(0) == '+' ? 1 : 0;
        if (start == s.length()) {
            return false;
        }
        for (int i = start; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
