package io.fedge.comm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CauseLineTest {
    @Test
    void keepsTheClassAndTheFirstLineOfTheMessage() {
        assertEquals("UnsatisfiedLinkError: no netty_tcnative in java.library.path",
                CauseLine.of(new UnsatisfiedLinkError("  no netty_tcnative in java.library.path\n\tat a.b.C\n")));
    }

    @Test
    void aThrowableWithoutMessageIsItsClassName() {
        assertEquals("NoClassDefFoundError", CauseLine.of(new NoClassDefFoundError()));
        assertEquals("IllegalStateException", CauseLine.of(new IllegalStateException("   ")));
    }

    @Test
    void aLongMessageIsCutToTheLimitWithAnEllipsis() {
        String message = "x".repeat(500);
        String line = CauseLine.of(new RuntimeException(message));
        assertEquals(CauseLine.MAX_CHARS, line.length());
        // "RuntimeException: " is 18 characters; the rest is the message up to the limit, then "..."
        assertEquals("RuntimeException: " + "x".repeat(CauseLine.MAX_CHARS - 18 - 3) + "...", line);
        String exact = "y".repeat(CauseLine.MAX_CHARS - 18);
        assertEquals("RuntimeException: " + exact, CauseLine.of(new RuntimeException(exact)), "at the limit: not cut");
    }
}
