package io.fedge.simulation.attack;

import java.util.Arrays;
import java.util.Random;

/** Which of a simulation's clients are the attackers: a function of the seed alone. */
public final class Attackers {
    private Attackers() {
    }

    /**
     * {@code n} distinct client indices of {@code 0 .. clients-1}, sorted, drawn by a seeded
     * shuffle (its own random source, so choosing attackers changes no other draw of the run).
     *
     * @throws IllegalArgumentException unless {@code 0 <= n <= clients}
     */
    public static int[] choose(int clients, int n, long seed) {
        if (n < 0 || n > clients) {
            throw new IllegalArgumentException("need 0 <= attackers <= clients: " + n + ", " + clients);
        }
        int[] all = new int[clients];
        for (int i = 0; i < clients; i++) {
            all[i] = i;
        }
        Random rng = new Random(seed ^ 0x41_7474_6163_6B73L);
        for (int i = clients - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] chosen = Arrays.copyOf(all, n);
        Arrays.sort(chosen);
        return chosen;
    }
}
