package io.fedge.data.format;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.nio.file.Path;

/** The exception every reader raises for a file it cannot use: {@link ErrorCode#MALFORMED}, naming the file. */
final class Malformed {
    /** The longest message: what a file says is quoted in it, and a file can say a lot. */
    static final int MAX_MESSAGE = 400;

    private Malformed() {
    }

    /** {@code FILE: what}. */
    static FedgeException of(Path file, String what) {
        return new FedgeException(ErrorCode.MALFORMED, file + ": " + printable(what));
    }

    /** {@code FILE:LINE: what}. */
    static FedgeException atLine(Path file, long line, String what) {
        return new FedgeException(ErrorCode.MALFORMED, file + ":" + line + ": " + printable(what));
    }

    /**
     * One printable line: control and format characters (a line break inside a quoted header, say)
     * escaped as a backslash, {@code u} and four hex digits; at most {@value #MAX_MESSAGE} characters.
     */
    static String printable(String what) {
        StringBuilder b = new StringBuilder(Math.min(what.length(), MAX_MESSAGE + 16));
        for (int i = 0; i < what.length() && b.length() < MAX_MESSAGE; i++) {
            char c = what.charAt(i);
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                b.append('\\').append('u').append(String.format("%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= MAX_MESSAGE) {
            b.setLength(MAX_MESSAGE);
            b.append("...");
        }
        return b.toString();
    }
}
