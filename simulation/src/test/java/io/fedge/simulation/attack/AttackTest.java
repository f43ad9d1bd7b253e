package io.fedge.simulation.attack;

import io.fedge.client.LocalUpdate;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing attacks, what each does to an update, and how attackers are chosen. */
class AttackTest {
    private static final LocalUpdate TRAINED = new LocalUpdate(new float[] {1, -2, 3, 0.5f}, 40, 0.7, 12);

    @Test
    void everyFormParsesAndPrintsAsItIsWritten() {
        for (String s : new String[] {"examples:4611686018427387904", "claim:1000000", "scale:1000000.0", "nan",
                "stall", "noread", "absent", "decline"}) {
            assertEquals(s, Attack.parse(s).toString());
        }
        assertEquals(new Attack(Attack.Kind.SCALE, 0, 1e6), Attack.parse("scale:1e6"));
        assertTrue(Attack.parse("stall").isTransportLevel());
        assertTrue(Attack.parse("noread").isTransportLevel());
        assertFalse(Attack.parse("nan").isTransportLevel());
    }

    @Test
    void badFormsAreRefusedInOneLineNamingWhatIsAllowed() {
        for (String s : new String[] {"", "examples", "examples:0", "examples:-5", "examples:9223372036854775808",
                "claim:x", "scale:0", "scale:NaN", "scale:Infinity", "scale:", "nan:3", "flood"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attack.parse(s), s);
            assertEquals("'" + s + "' is not an attack: " + Attack.FORMS, e.getMessage());
        }
    }

    @Test
    void examplesLiesInTheHelloAndEveryClaimClaimOnlyInTheClaims() {
        Attack examples = Attack.parse("examples:4611686018427387904");
        assertEquals(1L << 62, examples.declaredExamples(40));
        assertEquals(1L << 62, examples.transform().apply(1, TRAINED).numExamples());
        Attack claim = Attack.parse("claim:1000000");
        assertEquals(40, claim.declaredExamples(40));
        LocalUpdate sent = claim.transform().apply(1, TRAINED);
        assertEquals(1_000_000, sent.numExamples());
        assertArrayEquals(TRAINED.delta(), sent.delta());
    }

    @Test
    void scaleMultipliesEveryValueAndKeepsTheClaim() {
        LocalUpdate sent = Attack.parse("scale:1e6").transform().apply(1, TRAINED);
        assertArrayEquals(new float[] {1e6f, -2e6f, 3e6f, 0.5e6f}, sent.delta());
        assertEquals(40, sent.numExamples());
        assertArrayEquals(new float[] {1, -2, 3, 0.5f}, TRAINED.delta(), "the trained update is not changed");
    }

    @Test
    void nanPoisonsEvery97thValueAndItsCodecLetsThemThrough() {
        float[] delta = new float[300];
        Arrays.fill(delta, 0.25f);
        Attack nan = Attack.parse("nan");
        float[] sent = nan.transform().apply(1, new LocalUpdate(delta, 40, 0.7, 12)).delta();
        for (int i = 0; i < sent.length; i++) {
            assertEquals(i % 97 == 0, Float.isNaN(sent[i]), "value " + i);
        }
        byte[] encoded = nan.codecs().get("fp32").encode(sent, 0, sent.length);
        assertEquals(4 * sent.length, encoded.length);
        assertTrue(Float.isNaN(ByteBuffer.wrap(encoded).order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(97 * 4)));
        assertThrows(IllegalArgumentException.class, () -> Attack.parse("claim:5").codecs().get("fp32")
                .encode(sent, 0, sent.length), "fedge's own fp32 refuses NaN");
    }

    @Test
    void declineRefusesEveryTaskAndTheOthersSendAsTrained() {
        assertThrows(FedgeException.class, () -> Attack.parse("decline").transform().apply(3, TRAINED));
        assertNull(Attack.parse("absent").transform());
        assertNull(Attack.parse("stall").transform());
    }

    @Test
    void attackersAreDistinctSortedAndAFunctionOfTheSeed() {
        int[] a = Attackers.choose(100, 10, 7);
        assertArrayEquals(a, Attackers.choose(100, 10, 7));
        Set<Integer> distinct = new HashSet<>();
        for (int i = 0; i < a.length; i++) {
            assertTrue(a[i] >= 0 && a[i] < 100);
            assertTrue(i == 0 || a[i - 1] < a[i], Arrays.toString(a));
            distinct.add(a[i]);
        }
        assertEquals(10, distinct.size());
        assertFalse(Arrays.equals(a, Attackers.choose(100, 10, 8)), "another seed, other attackers");
        assertArrayEquals(new int[] {0, 1, 2}, Attackers.choose(3, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> Attackers.choose(3, 4, 1));
    }

    @Test
    void gaussianReplacesTheUpdateWithNoiseOfTheGivenDeviation() {
        float[] trained = new float[20_000];
        java.util.Arrays.fill(trained, 5f);
        LocalUpdate sent = Attack.parse("gaussian:0.5").transform().apply(3,
                new LocalUpdate(trained, 100, 0.5, 10));
        double sum = 0;
        double squares = 0;
        for (float v : sent.delta()) {
            sum += v;
            squares += (double) v * v;
        }
        double mean = sum / trained.length;
        double variance = squares / trained.length - mean * mean;
        // n = 20,000 draws: the mean within 4 standard errors of 0 (0.5 / sqrt(n) = 0.0035), the variance within 5%
        assertEquals(0.0, mean, 4 * 0.5 / Math.sqrt(trained.length));
        assertEquals(0.25, variance, 0.25 * 0.05);
        assertEquals(100, sent.numExamples());
        assertThrows(IllegalArgumentException.class, () -> Attack.parse("gaussian:0"));
    }

    @Test
    void labelFlipMovesEveryOneHotLabel() {
        org.nd4j.linalg.api.ndarray.INDArray labels = org.nd4j.linalg.factory.Nd4j.zeros(3, 10);
        labels.putScalar(0, 0, 1);
        labels.putScalar(1, 3, 1);
        labels.putScalar(2, 9, 1);
        org.nd4j.linalg.dataset.DataSet flipped = Attack.flipLabels(
                new org.nd4j.linalg.dataset.DataSet(org.nd4j.linalg.factory.Nd4j.zeros(3, 4), labels));
        assertEquals(9, flipped.getLabels().getRow(0).argMax().getInt(0));
        assertEquals(6, flipped.getLabels().getRow(1).argMax().getInt(0));
        assertEquals(0, flipped.getLabels().getRow(2).argMax().getInt(0));
        assertEquals(3.0, flipped.getLabels().sumNumber().doubleValue());
        assertTrue(Attack.parse("labelflip").poisonsData());
        assertEquals(null, Attack.parse("labelflip").transform());
    }
}
