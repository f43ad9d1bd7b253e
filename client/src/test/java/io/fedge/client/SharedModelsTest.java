package io.fedge.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

class SharedModelsTest {
    @Test
    void equalPayloadsKeepTheFirstCopyAndADifferentOneReplacesIt() {
        SharedModels shared = new SharedModels();
        byte[] first = {1, 2, 3, 4};
        assertSame(first, shared.canonical(first));
        byte[] sameBytes = first.clone();
        assertSame(first, shared.canonical(sameBytes), "an equal download keeps the copy held");
        byte[] oneByteOff = {1, 2, 3, 5};
        assertSame(oneByteOff, shared.canonical(oneByteOff), "a different model is never replaced by another");
        byte[] longer = {1, 2, 3, 5, 0};
        assertSame(longer, shared.canonical(longer));
        byte[] again = {1, 2, 3, 5, 0};
        byte[] kept = shared.canonical(again);
        assertSame(longer, kept);
        assertNotSame(first, kept);
        assertArrayEquals(again, kept);
        assertEquals(2, shared.sharedDownloads());
    }
}
