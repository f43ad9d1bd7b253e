package io.fedge.comm;

/**
 * A throwable as one short log line: its class's simple name and the first line of its message,
 * cut at {@link #MAX_CHARS} characters. Netty's native-library errors run to many lines and
 * suppressed causes; a fallback note needs only what failed. Thread-safe (stateless).
 */
public final class CauseLine {
    /** The longest line {@link #of} returns. */
    public static final int MAX_CHARS = 200;

    private CauseLine() {
    }

    /** {@code t} as one line of at most {@link #MAX_CHARS} characters. */
    public static String of(Throwable t) {
        String message = t.getMessage() == null ? "" : t.getMessage().strip();
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline).strip();
        }
        String name = t.getClass().getSimpleName();
        String line = message.isEmpty() ? name : name + ": " + message;
        return line.length() <= MAX_CHARS ? line : line.substring(0, MAX_CHARS - 3) + "...";
    }
}
