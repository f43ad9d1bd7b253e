package io.fedge.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamesTest {
    @Test
    void integersSortAsNumbersAndOtherNamesAsStrings() {
        assertEquals(List.of("-3", "2", "10"), Names.sorted(List.of("10", "2", "-3", "2")));
        assertEquals(List.of("10", "2", "b"), Names.sorted(List.of("b", "10", "2")));
        assertEquals(List.of(), Names.sorted(List.of()));
    }

    @Test
    void naturalOrderComparesDigitRunsByValue() {
        List<String> files = new ArrayList<>(List.of("img10.png", "img2.png", "img1.png", "a.png", "img02.png"));
        files.sort(Names.NATURAL_ORDER);
        assertEquals(List.of("a.png", "img1.png", "img02.png", "img2.png", "img10.png"), files);
        assertTrue(Names.NATURAL_ORDER.compare("00017.png", "00018.png") < 0);
        assertTrue(Names.NATURAL_ORDER.compare("9.png", "10.png") < 0);
        assertTrue(Names.NATURAL_ORDER.compare("x", "x") == 0);
        // longer than a long: still by value, without overflow
        assertTrue(Names.NATURAL_ORDER.compare("99999999999999999999", "100000000000000000000") < 0);
    }
}
